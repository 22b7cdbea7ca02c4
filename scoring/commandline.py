"""What every command of ``flask --app scoring`` shares: how a failure is told (SPEC §9)."""

import contextlib

import click
from flask_babel import gettext as _
from sqlalchemy import select

from . import rounds
from .csvfiles import FileError, describe, detect
from .extensions import db
from .models import Contest


class CommandError(click.ClickException):
    """A failure explained to the person at the terminal, in the interface language."""

    def __init__(self, message: str):
        super().__init__(message)
        # Translated now: click shows the error after the app context has ended.
        self.line = _("Error: %(message)s", message=message)

    def show(self, file=None):
        click.echo(self.line, err=True)


def contest_named(slug: str, *options) -> Contest:
    """The contest with this slug (loaded with the ``options``), or the error that says
    there is none."""
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug).options(*options))
    if contest is None:
        raise CommandError(_("There is no contest with the slug “%(slug)s”.", slug=slug))
    return contest


def describe_file(data: bytes) -> None:
    """Say how a CSV file is read (its encoding, its separator), before importing it; a
    file that cannot be read is told by the import itself."""
    with contextlib.suppress(FileError):
        click.echo(describe(detect(data)))


def find_contest(slug: str, round_number: int | None = None) -> Contest:
    """The contest at ``slug``; with ``round_number``, that round of its chain (SPEC §13,
    counted from 1), else a ``CommandError`` that says what there is."""
    contest = contest_named(slug)
    if round_number is None:
        return contest
    chain = rounds.chain(contest)
    if not 1 <= round_number <= len(chain):
        raise CommandError(
            _(
                "The contest “%(slug)s” has no round %(number)s: give --round from 1 to "
                "%(count)s.",
                slug=slug,
                number=round_number,
                count=len(chain),
            )
        )
    return chain[round_number - 1]


round_option = click.option(
    "--round",
    "round_number",
    type=click.IntRange(min=1),
    metavar="N",
    help="The contest's round N, counted from 1 in the chain of rounds of SLUG (SPEC §13).",
)
