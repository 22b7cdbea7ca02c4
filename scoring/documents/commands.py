"""Documents on the command line (SPEC §9): ``pdf SLUG KIND [--application NUMBER]``.

Works in any stage: before publication the results documents are marked «ПРОЄКТ».
The file goes to ``-o FILE`` or to a default name in the current folder, and the
command says where.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import database, progress
from ..commandline import CommandError, contest_named
from ..extensions import db
from ..models import Application, ApplicationState, Contest
from . import data, outcome, pdf, sheets

KINDS = (
    "announcement",
    "protocol",
    "appeals",
    "scoresheets",
    "receipt",
    "certificate",
    "feedback",
)
ONE_APPLICATION = ("receipt", "certificate", "feedback")  # --application is required
ANY_APPLICATION = ("scoresheets", *ONE_APPLICATION)  # --application is allowed


def _application(contest: Contest, number: str) -> Application:
    application = db.session.scalar(
        select(Application)
        .where(Application.contest_id == contest.id, Application.number == number)
        .options(
            joinedload(Application.organisation),
            selectinload(Application.answers),
            selectinload(Application.attachments),
        )
    )
    if application is None:
        raise CommandError(
            _(
                "The contest “%(slug)s” has no application with the number %(number)s.",
                slug=contest.slug,
                number=number,
            )
        )
    return application


def _document(contest: Contest, kind: str, number: str | None, language: str, **options):
    """The PDF bytes and the default file name; the long documents (the protocol, the
    scoresheets) show on the terminal how far their layout has gone."""
    shown = progress.on_terminal(_("Laying out the document"))
    if kind == "announcement":
        content = pdf.announcement.build(data.announcement(contest, language), data.font_folder())
        return content, data.file_name("results", contest.slug, language=language)
    if kind == "protocol":
        content = pdf.protocol.build(
            data.protocol(
                contest,
                language,
                secretary=data.secretary_of(contest),
                every_member_signs=options["every_member_signs"],
            ),
            data.font_folder(),
            shown,
        )
        return content, data.file_name("protocol", contest.slug, language=language)
    if kind == "appeals":
        records = outcome.appeals_addendum(contest, language, secretary=data.secretary_of(contest))
        content = pdf.appeals.build(records, data.font_folder())
        return content, data.file_name("protocol-appeals", contest.slug, language=language)
    if kind == "scoresheets":
        if number is not None:
            application = _application(contest, number)
            if application.state != ApplicationState.ADMITTED:
                raise CommandError(
                    _(
                        "The application %(number)s is not admitted to evaluation, so it has "
                        "no scoresheets.",
                        number=number,
                    )
                )
        blank = options["blank"]
        records = sheets.scoresheets(contest, language, number=number, blank=blank)
        stem = "blank-scoresheets" if blank else "scoresheets"
        return pdf.scoresheets.build(records, data.font_folder(), shown), data.file_name(
            stem, number or contest.slug, language=language
        )
    application = _application(contest, number)
    if kind == "receipt":
        if application.state == ApplicationState.DRAFT:
            raise CommandError(
                _(
                    "The application %(number)s is a draft now: a receipt exists only for a "
                    "submitted application.",
                    number=number,
                )
            )
        content = pdf.receipt.build(data.receipt(application, language), data.font_folder())
        return content, data.file_name("receipt", number, language=language)
    if kind == "feedback":
        try:
            records = outcome.feedback(application, language)
        except outcome.NoFeedback as error:
            raise CommandError(
                _(
                    "The application %(number)s has no feedback: the contest gives none, its "
                    "results are not published, or it was not scored.",
                    number=number,
                )
            ) from error
        return pdf.feedback.build(records, data.font_folder()), data.file_name(
            "feedback", number, language=language
        )
    try:
        records = data.certificate(contest, application, language)
    except data.NotAWinner as error:
        raise CommandError(
            _(
                "The application %(number)s is not a winner in the ranking as it stands, so "
                "it gets no certificate.",
                number=number,
            )
        ) from error
    return pdf.certificate.build(records, data.font_folder()), data.file_name(
        "certificate", number, language=language
    )


@click.command("pdf")
@click.argument("slug")
@click.argument("kind", type=click.Choice(KINDS))
@click.option(
    "--application",
    "number",
    metavar="NUMBER",
    help="The registration number: required for receipt, certificate and feedback; with "
    "scoresheets, only that application's sheets.",
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(["uk", "en"]),
    default="uk",
    show_default=True,
    help="The language of the document.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the PDF into this file (default: a name like protocol-SLUG.pdf here).",
)
@click.option("--blank", is_flag=True, help="scoresheets: blank forms to fill in by hand.")
@click.option(
    "--every-member-signs",
    is_flag=True,
    help="protocol: a signature line for every member of the jury.",
)
@with_appcontext
def pdf_command(
    slug: str,
    kind: str,
    number: str | None,
    language: str,
    output: Path | None,
    blank: bool,
    every_member_signs: bool,
):
    """Write one document of SPEC §7 as PDF (in any stage; a draft before publication).

    KIND is announcement, protocol, appeals (the protocol's addendum), scoresheets (all
    of them, or one application's), receipt, certificate or feedback (one application's:
    give --application).
    """
    with database.reading():  # SQLite's write lock stays free for the app meanwhile
        path = _write(slug, kind, number, language, output, blank, every_member_signs)
    click.echo(_("The document is written to %(file)s.", file=path.resolve()))


def _write(slug, kind, number, language, output, blank, every_member_signs) -> Path:
    contest = contest_named(slug, selectinload(Contest.criteria))
    if kind in ONE_APPLICATION and not number:
        raise CommandError(
            _(
                "The document «%(kind)s» is made for one application: give --application NUMBER.",
                kind=kind,
            )
        )
    if number and kind not in ANY_APPLICATION:
        raise CommandError(
            _("--application is used only with scoresheets, receipt, certificate and feedback.")
        )
    try:
        document, default_name = _document(
            contest, kind, number, language, blank=blank, every_member_signs=every_member_signs
        )
    except pdf.fonts.FontsNotFound as error:
        raise CommandError(str(error)) from error
    path = output or Path(default_name)
    try:
        path.write_bytes(document)
    except OSError as error:
        raise CommandError(
            _("Cannot write %(file)s: %(reason)s", file=path, reason=error.strerror or error)
        ) from error
    return path


COMMANDS = (pdf_command,)
