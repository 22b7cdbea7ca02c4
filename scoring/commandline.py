"""What every command of ``flask --app scoring`` shares: how a failure is told (SPEC §9)."""

import contextlib

import click
from flask_babel import gettext as _

from .csvfiles import FileError, describe, detect


class CommandError(click.ClickException):
    """A failure explained to the person at the terminal, in the interface language."""

    def __init__(self, message: str):
        super().__init__(message)
        # Translated now: click shows the error after the app context has ended.
        self.line = _("Error: %(message)s", message=message)

    def show(self, file=None):
        click.echo(self.line, err=True)


def describe_file(data: bytes) -> None:
    """Say how a CSV file is read (its encoding, its separator), before importing it; a
    file that cannot be read is told by the import itself."""
    with contextlib.suppress(FileError):
        click.echo(describe(detect(data)))
