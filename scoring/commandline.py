"""What every command of ``flask --app scoring`` shares: how a failure is told (SPEC §9)."""

import click
from flask_babel import gettext as _


class CommandError(click.ClickException):
    """A failure explained to the person at the terminal, in the interface language."""

    def __init__(self, message: str):
        super().__init__(message)
        # Translated now: click shows the error after the app context has ended.
        self.line = _("Error: %(message)s", message=message)

    def show(self, file=None):
        click.echo(self.line, err=True)
