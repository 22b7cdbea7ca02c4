"""Contests on the command line (SPEC §9): import and export of contests, import of applications.

The work is done in ``document`` and ``applications_file``; these commands read and
write the files, commit what they created and turn their ``ExchangeError`` into an error
message that lists every problem, with a non-zero exit.
"""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from .. import progress, rounds
from ..commandline import CommandError, contest_named, describe_file
from ..extensions import db
from . import applications_file, document


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(reason)s", file=path, reason=error.strerror or error)
        ) from error


def _refused(heading: str, error: document.ExchangeError) -> CommandError:
    db.session.rollback()
    return CommandError("\n".join([heading, *(f"  {problem}" for problem in error.problems)]))


@click.command("export-contest")
@click.argument("slug")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document into this file instead of printing it.",
)
@with_appcontext
def export_contest(slug: str, output: Path | None):
    """Print the contest as a scoring.contest/1 JSON document, a template for import-contest."""
    contest = contest_named(slug)
    text = json.dumps(document.export_contest(contest), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(
            _("Cannot write %(file)s: %(reason)s", file=output, reason=error.strerror or error)
        ) from error
    click.echo(_("The contest “%(slug)s” is written to %(file)s.", slug=slug, file=output))


@click.command("import-contest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--organiser",
    "organisers",
    multiple=True,
    metavar="EMAIL",
    help="An existing organiser who will manage the contest; repeat for several.",
)
@with_appcontext
def import_contest(file: Path, organisers: tuple[str, ...]):
    """Create a draft contest from a scoring.contest/1 JSON document (SPEC §4).

    The whole document is checked first: every problem is listed with its place in the
    document, and nothing is created until there are none.
    """
    heading = _("The contest is not imported:")
    try:
        parsed = document.parse_contest_document(_read(file))
        contest = document.import_contest(parsed, organisers)
    except document.ExchangeError as error:
        raise _refused(heading, error) from error
    db.session.commit()
    click.echo(
        _(
            "The contest “%(slug)s” is imported as a draft (criteria: %(criteria)s, "
            "questions of the application form: %(questions)s, categories: %(categories)s).",
            slug=contest.slug,
            criteria=len(contest.criteria),
            questions=len(contest.questions),
            categories=len(contest.categories),
        )
    )
    chain = rounds.chain(contest)
    if len(chain) > 1:
        click.echo(
            _(
                "Rounds: %(count)s; each later round is a draft of its own: %(slugs)s.",
                count=len(chain),
                slugs=", ".join(later.slug for later in chain[1:]),
            )
        )
    if not organisers:
        click.echo(
            _(
                "Nobody manages it in the browser: name its organisers with --organiser EMAIL "
                "when importing."
            )
        )
    shared = document.contests_with_prefix(contest)
    if shared:
        click.echo(
            _(
                "Note: the contests %(slugs)s number their applications with the same prefix "
                "%(prefix)s; change it on the contest’s settings page so that numbers of the "
                "same year cannot collide.",
                slugs=", ".join(shared),
                prefix=contest.number_prefix,
            )
        )


@click.command("import-applications")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_applications(slug: str, file: Path):
    """Import applications received outside the system from a CSV file (SPEC §5, §9, §15).

    Columns: number,organisation,kind,edrpou,oblast,community,email,title (and category
    when the contest has categories), and optionally community_code (the hromada's
    KATOTTG code) and status (active, relocated or occupied); UTF-8 (with or without a
    BOM), UTF-16 or Windows-1251, separated by commas, semicolons or tabs. The hromada is
    found by its code, else by its name within the oblast, in the official list; the
    oblast must agree with it. Each application is submitted and admitted with the facts
    of its line; an empty number is allocated. A file with any bad line is refused whole.
    """
    contest = contest_named(slug)
    data = _read(file)
    describe_file(data)
    try:
        imported = applications_file.import_applications(
            contest, data, progress=progress.on_terminal(_("Importing the applications"))
        )
    except document.ExchangeError as error:
        raise _refused(_("The applications are not imported:"), error) from error
    db.session.commit()
    click.echo(
        _(
            "Applications imported into “%(slug)s”: %(count)s.",
            slug=contest.slug,
            count=len(imported.applications),
        )
    )
    # Plain numbers and names: nothing to load again after the commit.
    click.echo("\n".join(f"  {number}  {name}" for number, name in imported.applications))


COMMANDS = (export_contest, import_contest, import_applications)
