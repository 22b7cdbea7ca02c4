"""The organisers' imports in the browser (SPEC §15): upload, preview, columns, check, import.

1. ``upload`` (``/manage/contests/<slug>/import/<kind>``, or ``/manage/imports/contest``
   for a contest document): the file is read at once — its encoding and separator, its
   headings and first lines — and kept on the server (``uploads``); a file that cannot
   be read is refused beside the field.
2. ``preview`` (``/manage/imports/<token>``): what was read, and for a CSV file one
   select per column of the file, proposed from its heading (``kinds.propose``). Sending
   it remembers the choice for the contest and starts the check.
3. ``job``: the progress of the check or the import (``progress.json`` for the page's
   script; without JavaScript the page reloads itself), then its result: every problem
   by line and column, or what will be stored and the button that imports. The result
   takes the focus as the page loads, so that the next Tab reaches the next step.
4. ``run`` starts the import — only after a check found nothing wrong — audited as the
   command line's import is; ``discard`` removes the file instead.

Every page is its uploader's alone, and only while they organise the contest: anyone
else gets 404, as for an unknown token. Every form carries the CSRF token.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import lifecycle
from ..access import own_contest
from ..auth import role_required
from ..csvfiles import column_letter
from ..extensions import db
from ..i18n import current_language, file_size_text
from ..models import Contest, Role
from ..requestguard import accepts_files, refuse_files_except
from . import jobs, kinds, uploads
from .forms import ActionForm, UploadForm, mapping_form

bp = Blueprint("imports", __name__, url_prefix="/manage")
bp.add_app_template_global(column_letter, "column_letter")


def _own_upload(token: str) -> tuple[uploads.Upload, Contest | None]:
    """The current user's upload and its contest, or 404."""
    upload = uploads.find(token)
    if upload is None or upload.user_id != current_user.id:
        abort(404)
    contest = None
    if upload.contest_id is not None:
        contest = db.session.get(Contest, upload.contest_id)
        if contest is None or not contest.is_organised_by(current_user):
            abort(404)
    return upload, contest


def _pressed(token: str) -> tuple[uploads.Upload, Contest | None, jobs.Job | None]:
    """For a button's POST: the current user's upload (or 404), its contest and its
    current job; 400 without a valid CSRF token."""
    upload, contest = _own_upload(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    return upload, contest, jobs.current(upload)


def _back(contest: Contest | None) -> str:
    """Where the organiser came from: the contest's dashboard, or their contests."""
    if contest is None:
        return url_for("contests.index")
    return url_for("contests.dashboard", slug=contest.slug)


def _page(template: str, upload: uploads.Upload, contest: Contest | None, **context):
    """A page about one upload, with its title and the way back."""
    return render_template(
        template,
        upload=upload,
        contest=contest,
        title=kinds.TITLES[upload.kind],
        back=_back(contest),
        **context,
    )


@bp.route("/contests/<slug>/import/<any(applications, scores):kind>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
@accepts_files
def upload(slug: str, kind: str):
    contest = own_contest(slug)
    return _upload(kind, contest)


@bp.route("/imports/contest", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
@accepts_files
def upload_contest():
    return _upload("contest", None)


def _upload(kind: str, contest: Contest | None):
    refuse_files_except(("file",))  # the one field that takes a file
    form = UploadForm()
    frozen = contest is not None and lifecycle.results_frozen(contest)
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if not frozen and form.validate_on_submit():
        data = form.file.data.stream.read(limit + 1)
        try:
            if len(data) > limit:
                raise kinds.Refused(
                    [_("The file is larger than %(size)s.", size=file_size_text(limit))]
                )
            facts = kinds.read(kind, data)
        except kinds.Refused as refused:
            form.file.errors.extend(refused.problems)
        else:
            kept = uploads.save(
                current_user.id,
                contest.id if contest else None,
                kind,
                form.file.data.filename or "",
                data,
                facts,
            )
            return redirect(url_for(".preview", token=kept.token))
    return render_template(
        "imports/upload.html",
        contest=contest,
        kind=kind,
        title=kinds.TITLES[kind],
        form=form,
        frozen=frozen,
        limit=file_size_text(limit),
        columns=kinds.columns(kind, contest) if contest else [],
        label=kinds.label,
    )


@bp.route("/imports/<token>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def preview(token: str):
    upload, contest = _own_upload(token)
    if uploads.data(upload) is None:
        return redirect(url_for(".job", token=token))  # imported: only its result is left
    header = upload.facts.get("header", [])
    form = ActionForm()
    if upload.kind in kinds.CSV_KINDS:
        ours = kinds.columns(upload.kind, contest)
        proposal = upload.columns or kinds.propose(upload.kind, contest, header)
        if len(proposal) != len(header):
            proposal = [None] * len(header)
        lines = [line["cells"] for line in upload.facts.get("lines", [])]
        form = mapping_form(header, ours, kinds.label, proposal, lines)
    running = (job := jobs.current(upload)) is not None and job.state == jobs.RUNNING
    if not running and form.validate_on_submit():
        if upload.kind in kinds.CSV_KINDS:
            upload.columns = form.chosen()
            uploads.write(upload)
            kinds.remember(upload.kind, contest, header, upload.columns, current_user)
            db.session.commit()
        jobs.start(upload, "check", current_user, current_language())
        return redirect(url_for(".job", token=token))
    return _page(
        "imports/preview.html",
        upload,
        contest,
        form=form,
        running=running,
        size=file_size_text(upload.size),
    )


@bp.route("/imports/<token>/job")
@role_required(Role.ORGANISER)
def job(token: str):
    upload, contest = _own_upload(token)
    found = jobs.current(upload)
    if found is None:
        return redirect(url_for(".preview", token=token))
    return _page(
        "imports/job.html",
        upload,
        contest,
        job=found,
        jobs=jobs,
        form=ActionForm(),
        result_url=_result_url(upload.kind, found.slug) if found.state == jobs.IMPORTED else None,
    )


def _result_url(kind: str, slug: str | None) -> str | None:
    endpoints = {
        "applications": "contests.applications_list",
        "scores": "jury.members",
        "contest": "contests.dashboard",
    }
    return url_for(endpoints[kind], slug=slug) if slug else None


@bp.route("/imports/<token>/progress.json")
@role_required(Role.ORGANISER)
def progress(token: str):
    upload, _contest = _own_upload(token)
    found = jobs.current(upload)
    if found is None:
        abort(404)
    return jsonify(
        state=found.state,
        action=found.action,
        done=found.done,
        total=found.total,
        percent=found.percent,
    )


@bp.route("/imports/<token>/run", methods=["POST"])
@role_required(Role.ORGANISER)
def run(token: str):
    upload, _contest, found = _pressed(token)
    if uploads.data(upload) is None:
        flash(_("This file is already imported."), "info")
    elif found is None or found.action != "check" or found.state != jobs.PASSED:
        flash(_("Check the file first: nothing is imported before every line is right."), "warning")
        return redirect(url_for(".preview", token=token))
    elif not jobs.start(upload, "import", current_user, current_language()):
        flash(_("The file is being checked or imported already."), "info")
    return redirect(url_for(".job", token=token))


@bp.route("/imports/<token>/discard", methods=["POST"])
@role_required(Role.ORGANISER)
def discard(token: str):
    upload, contest, found = _pressed(token)
    if found is not None and found.state == jobs.RUNNING:
        flash(_("The file is being checked or imported: wait for the end."), "warning")
        return redirect(url_for(".job", token=token))
    uploads.discard(upload)
    flash(_("The file is removed from the server."), "success")
    return redirect(_back(contest))
