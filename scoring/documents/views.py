"""The documents over HTTP (SPEC §7): who may download which PDF.

- ``/contests/<slug>/results.pdf``: anyone once the results are published; the
  contest's organisers at any stage (marked «ПРОЄКТ» before publication); 404 to
  everyone else.
- ``/manage/contests/<slug>/protocol.pdf`` (``?members=1``: a signature line for every
  member), ``…/scoresheets.pdf`` (``?application=NUMBER``, ``?blank=1``) and
  ``…/certificates/<number>.pdf`` (winners only): the contest's organisers. The protocol
  and the scoresheets, which take long for a large contest, may also be asked for by
  POST (the page's script): they are then made in the background (``jobs``), and
  ``/documents/jobs/<job>`` tells their progress and ``…/file`` gives them, to the one
  who asked only.
- ``/judging/<slug>/<number>/scoresheet.pdf``: the juror's own sheet, once they have
  declared no conflict of interest.
- ``/applications/<number>/receipt.pdf``: the applicant and the contest's organisers
  (``access.may_see_contacts``): it holds the contact person's details.
- ``/applications/<number>/feedback.pdf`` and ``…/certificate.pdf`` (a winner's diploma):
  the applicant and the contest's organisers, once the results are published (SPEC §14;
  the feedback when the contest gives one, the diploma to a winner).
- ``/manage/contests/<slug>/appeals.pdf``: the protocol's addendum of appeals, the
  contest's organisers.

Every document is Ukrainian unless ``?lang=en`` asks for English, and comes as a
download with an ASCII file name.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import access, lifecycle, rounds, tables
from ..access import juror_assignment, jury_contest, own_contest
from ..applications.content import with_content
from ..auth import role_required
from ..extensions import db
from ..models import Application, ApplicationState, Conflict, Contest, Role
from ..results.disclosure import results_public, shared_published
from ..results.loading import contest_ranking
from . import data, jobs, outcome, pdf, sheets

bp = Blueprint("documents", __name__)


def language() -> str:
    """``?lang=en`` for English; Ukrainian otherwise (SPEC §1)."""
    return "en" if request.args.get("lang") == "en" else "uk"


@functools.cache
def _made_by() -> str:
    """What makes the documents: their code and the catalogue of their words (a new
    version of either changes every fingerprint)."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *root.parent.glob("translations/*/*/*.mo")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _fingerprint(record) -> str:
    """A public document's ETag: what it shows and what makes it, not when it was made
    (the PDF's bytes differ at each making: its time and its ID), so that a browser's copy
    of the same document is told unchanged without the document being made again."""
    letterhead = dataclasses.replace(record.letterhead, generated_at=None)
    timeless = dataclasses.replace(record, letterhead=letterhead)
    return hashlib.sha256(f"{_made_by()}{timeless!r}".encode()).hexdigest()


def pdf_response(content: bytes, name: str, *, public: str | None = None) -> Response:
    """The PDF as a download; ``public``: the ETag of published results (their cache)."""
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if public:
        return shared_published(response, public)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _built(build, gather, *args, **kwargs) -> bytes:
    """Gather and build; a server without the fonts answers 500 and says why in the log."""
    try:
        return build(gather(*args, **kwargs), data.font_folder())
    except pdf.fonts.FontsNotFound as error:
        current_app.logger.error("%s", error)
        abort(500)


def _contest(slug: str) -> Contest:
    contest = db.session.scalar(
        select(Contest).where(Contest.slug == slug).options(selectinload(Contest.criteria))
    )
    if contest is None:
        abort(404)
    return contest


@bp.route("/contests/<slug>/results.pdf", endpoint="announcement")
def announcement_pdf(slug: str):
    contest = _contest(slug)
    published = results_public(contest)
    if not published and not contest.is_organised_by(current_user):
        abort(404)
    lang = language()
    gathered = data.announcement(contest, lang)
    name = data.file_name("results", contest.slug, language=lang)
    etag = _fingerprint(gathered) if published else None
    if etag and request.if_none_match.contains_weak(etag):
        return pdf_response(b"", name, public=etag)  # the browser's copy: not made again
    return pdf_response(_built(pdf.announcement.build, lambda: gathered), name, public=etag)


def _long(contest: Contest, name: str, build, gather, *args, **kwargs) -> Response:
    """A long document: made now and downloaded (GET), or made in the background for the
    page's script (POST), which is told where to follow its progress."""
    if request.method == "GET":
        return pdf_response(_built(build, gather, contest, *args, **kwargs), name)
    contest_id = contest.id

    def make(progress) -> tuple[bytes, str]:  # in the job's thread, with its own session
        again = db.session.get(Contest, contest_id)
        return build(gather(again, *args, **kwargs), data.font_folder(), progress), name

    return jobs.background(make, contest_id)


@bp.route("/manage/contests/<slug>/protocol.pdf", methods=["GET", "POST"], endpoint="protocol")
@role_required(Role.ORGANISER)
def protocol_pdf(slug: str):
    contest = own_contest(slug)
    lang = language()
    return _long(
        contest,
        data.file_name("protocol", contest.slug, language=lang),
        pdf.protocol.build,
        data.protocol,
        lang,
        secretary=current_user.name,
        every_member_signs=request.args.get("members") == "1",
    )


@bp.route(
    "/manage/contests/<slug>/scoresheets.pdf", methods=["GET", "POST"], endpoint="scoresheets"
)
@role_required(Role.ORGANISER)
def scoresheets_pdf(slug: str):
    contest = own_contest(slug)
    number = request.args.get("application") or None
    if number is not None and not _has_application(contest, number):
        abort(404)
    blank = request.args.get("blank") == "1"
    lang = language()
    kind = "blank-scoresheets" if blank else "scoresheets"
    return _long(
        contest,
        data.file_name(kind, number or contest.slug, language=lang),
        pdf.scoresheets.build,
        sheets.scoresheets,
        lang,
        number=number,
        blank=blank,
    )


@bp.route("/documents/jobs/<job>", endpoint="job")
@login_required
def job_status(job: str):
    """How far the document the person asked for has gone (JSON, for the page's script)."""
    state = jobs.status(current_user.id, job)
    if state is None or not _still_theirs(state.pop("contest")):
        abort(404)
    if state["state"] == jobs.READY:
        state["file"] = url_for(".job_file", job=job)
    response = jsonify(state)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/documents/jobs/<job>/file", endpoint="job_file")
@login_required
def job_file(job: str):
    """The document made in the background (kept a little after its first download)."""
    state = jobs.status(current_user.id, job)
    taken = jobs.take(current_user.id, job) if state and _still_theirs(state["contest"]) else None
    if taken is None:
        abort(404)
    content, name = taken
    return pdf_response(content, name) if name.endswith(".pdf") else tables.download(*taken)


def _still_theirs(contest_id: int | None) -> bool:
    """Whether the person who asked for a contest's document still organises it (they may
    have been taken off the contest while it was made)."""
    if contest_id is None:
        return True
    contest = db.session.get(Contest, contest_id)
    return contest is not None and contest.is_organised_by(current_user)


def _has_application(contest: Contest, number: str) -> bool:
    return (
        db.session.scalar(
            select(Application.id).where(
                Application.contest_id == contest.id,
                Application.number == number,
                Application.state == ApplicationState.ADMITTED,
            )
        )
        is not None
    )


@bp.route("/manage/contests/<slug>/certificates/<number>.pdf", endpoint="certificate")
@role_required(Role.ORGANISER)
def certificate_pdf(slug: str, number: str):
    contest = own_contest(slug)
    application = db.session.scalar(
        select(Application)
        .where(Application.contest_id == contest.id, Application.number == number)
        .options(joinedload(Application.organisation))
    )
    if application is None:
        abort(404)
    lang = language()
    try:
        content = _built(pdf.certificate.build, data.certificate, contest, application, lang)
    except data.NotAWinner:
        abort(404)
    return pdf_response(content, data.file_name("certificate", number, language=lang))


@bp.route("/judging/<slug>/<number>/scoresheet.pdf", endpoint="juror_scoresheet")
@role_required(Role.JUROR)
def juror_scoresheet_pdf(slug: str, number: str):
    contest = jury_contest(slug)
    application, sheet = juror_assignment(contest, number)
    if sheet.conflict != Conflict.NONE:
        abort(404)  # the content opens only after the declaration (SPEC §11)
    lang = language()
    content = _built(
        pdf.scoresheets.build, sheets.juror_scoresheet, contest, application, sheet, lang
    )
    return pdf_response(content, data.file_name("scoresheet", number, language=lang))


@bp.route("/applications/<number>/receipt.pdf", endpoint="receipt")
@login_required
def receipt_pdf(number: str):
    application = with_content(number)
    if (
        application is None
        or application.state == ApplicationState.DRAFT
        or not access.may_see_contacts(application, current_user)
    ):
        abort(404)
    lang = language()
    content = _built(pdf.receipt.build, data.receipt, application, lang)
    return pdf_response(content, data.file_name("receipt", number, language=lang))


def _applicant_document(number: str) -> Application:
    """The application's own documents after publication: its applicant and the contest's
    organisers (``access.may_see_contacts``), else 404."""
    application = db.session.scalar(
        select(Application)
        .where(Application.number == number)
        .options(joinedload(Application.contest), joinedload(Application.organisation))
    )
    if (
        application is None
        or application.state == ApplicationState.DRAFT
        or not access.may_see_contacts(application, current_user)
        or not results_public(application.contest)
    ):
        abort(404)
    return application


@bp.route("/applications/<number>/feedback.pdf", endpoint="feedback")
@login_required
def feedback_pdf(number: str):
    application = _applicant_document(number)
    lang = language()
    try:
        content = _built(pdf.feedback.build, outcome.feedback, application, lang)
    except outcome.NoFeedback:
        abort(404)
    return pdf_response(content, data.file_name("feedback", number, language=lang))


@bp.route("/applications/<number>/certificate.pdf", endpoint="applicant_certificate")
@login_required
def applicant_certificate_pdf(number: str):
    application = _applicant_document(number)
    lang = language()
    try:
        content = _built(
            pdf.certificate.build, data.certificate, application.contest, application, lang
        )
    except data.NotAWinner:
        abort(404)
    return pdf_response(content, data.file_name("certificate", number, language=lang))


@bp.route("/manage/contests/<slug>/appeals.pdf", endpoint="appeals")
@role_required(Role.ORGANISER)
def appeals_pdf(slug: str):
    contest = own_contest(slug)
    lang = language()
    content = _built(
        pdf.appeals.build, outcome.appeals_addendum, contest, lang, secretary=current_user.name
    )
    return pdf_response(content, data.file_name("protocol-appeals", contest.slug, language=lang))


@bp.app_template_global()
def winner_certificates(contest: Contest) -> list[tuple[str, str]]:
    """(number, organisation) of the winners, for the certificate links on the dashboard."""
    if not lifecycle.scoring_closed(contest) or rounds.advancing(contest):
        return []  # the winners of a round that another follows advance (SPEC §13)
    return [(row.number, row.organisation) for row in contest_ranking(contest).winners]
