"""Scores on the command line (SPEC §9): ``import-scores SLUG FILE.csv``, ``export-scores SLUG``.

The work is done in ``scores_file``; these commands read and write the files, commit what
``scores_file`` stored and turn its ``ScoresFileError`` into an error message that lists
every problem, with a non-zero exit.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from .. import progress, tables
from ..commandline import CommandError, contest_named, describe_file
from ..extensions import db
from ..models import Contest, User
from . import scores_export, scores_file


@click.command("import-scores")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--entered-by",
    "entered_by",
    metavar="EMAIL",
    help="The organiser of the contest who enters the paper sheets; the sheets name them.",
)
@with_appcontext
def import_scores(slug: str, file: Path, entered_by: str | None):
    """Import scoresheets filled outside the system from a CSV file (SPEC §9, §15).

    Columns: application,juror,criterion,score,comment (the registration number, the
    juror's e-mail, the criterion's code), and juror_name to name the members; UTF-8
    (with or without a BOM), UTF-16 or Windows-1251, separated by commas, semicolons or
    tabs, a decimal point or a decimal comma. A line with an empty criterion and score
    carries the sheet's overall comment; "recused" in place of a score records a recusal,
    with the declaration as the comment. Every sheet must score every criterion; imported
    sheets are submitted and say that they were entered from paper, by whom and when (no
    declaration is claimed for the juror). Unknown jurors are created (without a
    password) and added to the jury. A file with any bad line is refused whole. Refused
    once the results are published.
    """
    contest = contest_named(slug)
    actor = _organiser(contest, entered_by) if entered_by else None
    try:
        data = file.read_bytes()
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(reason)s", file=file, reason=error.strerror or error)
        ) from error
    describe_file(data)
    try:
        summary = scores_file.import_scores(
            contest,
            data,
            actor=actor,
            progress=progress.on_terminal(_("Importing the scores")),
        )
    except scores_file.ScoresFileError as error:
        db.session.rollback()
        heading = _("The scores are not imported:")
        raise CommandError(
            "\n".join([heading, *(f"  {problem}" for problem in error.problems)])
        ) from error
    db.session.commit()
    click.echo(
        _(
            "Scoresheets imported into “%(slug)s”: %(sheets)s (scores changed: %(changed)s).",
            slug=contest.slug,
            sheets=summary.sheets,
            changed=summary.scores_changed,
        )
    )
    if summary.jurors_created:
        click.echo(
            _(
                "New jurors without a password (they can set one with “Forgot your "
                "password?”): %(emails)s",
                emails=", ".join(summary.jurors_created),
            )
        )
    if summary.recusals:
        click.echo(_("Recusals recorded: %(count)s", count=summary.recusals))
    if summary.jurors_added:
        click.echo(_("Added to the jury: %(emails)s", emails=", ".join(summary.jurors_added)))


def _organiser(contest: Contest, email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not contest.is_organised_by(user):
        raise CommandError(
            _(
                "%(email)s is not an organiser of “%(slug)s”: --entered-by names the organiser "
                "who enters the sheets.",
                email=email,
                slug=contest.slug,
            )
        )
    return user


@click.command("export-scores")
@click.argument("slug")
@click.option(
    "--excel",
    is_flag=True,
    help="Write CSV for Excel: a byte-order mark, semicolons and decimal commas.",
)
@with_appcontext
def export_scores(slug: str, excel: bool):
    """Print every submitted scoresheet of the contest as CSV (SPEC §9, §15).

    Columns: application,juror,criterion,score,comment,juror_name, ordered by application
    number, juror e-mail and criterion order; a line with an empty criterion and score
    carries a sheet's overall comment, one with "recused" a recusal. The output is what
    import-scores reads, with --excel too.
    """
    contest = contest_named(slug)
    if excel:
        table = scores_export.scores_table(contest)
        click.echo(tables.BOM + tables.csv_text(table, excel=True), nl=False)
        return
    click.echo(scores_export.export_scores(contest), nl=False)


COMMANDS = (import_scores, export_scores)
