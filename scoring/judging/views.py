"""Jurors' pages under /judging: assignments, conflict step, scoresheet, submission.

Every route checks that the signed-in juror is on the contest's jury and has a
scoresheet for the application; a recused juror, an unknown contest or an application
not assigned answers 404, the same as a page that does not exist. Scoring is open
while the contest is in the judging stage; afterwards the juror still reads their
submitted sheets.
"""

from io import BytesIO

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from sqlalchemy.orm import undefer
from werkzeug.exceptions import HTTPException, NotFound

from .. import files, lifecycle, paging
from ..access import juror_assignment, jury_contest
from ..applications.content import answers_and_files
from ..auth import role_required
from ..csrftokens import masked_token
from ..extensions import csrf, db
from ..i18n import number as number_text
from ..models import (
    Application,
    Attachment,
    Conflict,
    Contest,
    JuryMember,
    Role,
    SheetState,
)
from ..pagecache import cached_page
from ..requestguard import json_endpoint
from . import operations
from .forms import NoConflictForm, RecusalForm, SubmitForm, scoresheet_form

bp = Blueprint("judging", __name__, url_prefix="/judging")


def _sheet_url(contest: Contest, application: Application) -> str:
    return url_for(".scoresheet", slug=contest.slug, number=application.number)


def _criteria(contest: Contest):
    return contest.criteria  # ordered by position (the relationship's order_by)


PER_PAGE = 50  # assignments on a page of the juror's list
# The juror's list puts first what they come for: while scoring is open, what is still to
# score; once it is closed, the sheets they can read. Each group keeps the fair order.
_FIRST = {
    True: {"not_started": 0, "draft": 0, "submitted": 1, "recused": 2},
    False: {"submitted": 0, "draft": 1, "not_started": 1, "recused": 2},
}


def _first_things_first(items: list, scoring_open: bool) -> list:
    """The assignments ``items`` (in the fair order) with what the juror needs first at the top."""
    return sorted(items, key=lambda item: _FIRST[scoring_open][item.status])


@bp.route("")
@role_required(Role.JUROR)
def index():
    """The juror's contests; straight to the assignments when one contest is being judged."""
    contests = db.session.scalars(
        select(Contest)
        .join(JuryMember, JuryMember.contest_id == Contest.id)
        .where(JuryMember.user_id == current_user.id, Contest.stage.in_(lifecycle.SCORING_STARTED))
        .order_by(Contest.closes_at.desc(), Contest.id)
    ).all()
    judging = [c for c in contests if lifecycle.scoring_open(c)]
    if len(judging) == 1 and not request.args.get("all"):
        return redirect(url_for(".assignments", slug=judging[0].slug))
    progress = operations.progress_by_contest(current_user, [c.id for c in contests])
    return render_template(
        "judging/index.html",
        judging=judging,
        earlier=[c for c in contests if not lifecycle.scoring_open(c)],
        progress=progress,
    )


@bp.route("/<slug>")
@role_required(Role.JUROR)
def assignments(slug: str):
    """The juror's list, what is still to score first, each part in their fair order,
    ``?page=N`` of it; ``?status=`` shows one status only, and ``?after=NUMBER`` (where a
    submission leads) proposes the next application to score."""
    contest = jury_contest(slug)
    items = operations.assignments(contest, current_user)
    status = request.args.get("status")
    status = status if status in operations.STATUSES else None
    open_ = lifecycle.scoring_open(contest)
    listed = [item for item in items if item.status == status] if status else items
    return render_template(
        "judging/assignments.html",
        contest=contest,
        items=paging.paginate_list(
            _first_things_first(listed, open_),
            paging.page_number(request.args),
            PER_PAGE,
        ),
        everything=len(items),
        status=status,
        statuses=operations.STATUSES,
        progress=operations.progress(items),
        next_item=operations.next_unscored(items, request.args.get("after")) if open_ else None,
        open=open_,
    )


def _conflict_page(contest, application, sheet, recusal_form=None):
    proposed = operations.proposed_conflicts(contest, application, current_user)
    return render_template(
        "judging/conflict.html",
        contest=contest,
        application=application,
        sheet=sheet,
        proposed=proposed,
        no_conflict_form=NoConflictForm(),
        recusal_form=recusal_form or RecusalForm(formdata=None),
    )


def _content(contest: Contest, application: Application) -> dict:
    """What the juror reads, with the files behind the juror's own download route."""
    return answers_and_files(
        application,
        blind=contest.blind,
        url=lambda a: url_for(
            ".attachment", slug=contest.slug, number=application.number, attachment_id=a.id
        ),
    )


@bp.route("/<slug>/<number>", methods=["GET", "POST"])
@cached_page
@role_required(Role.JUROR)
def scoresheet(slug: str, number: str):
    """The conflict step while undeclared, then the scoresheet (it also saves without JS)."""
    contest = jury_contest(slug)
    application, sheet = juror_assignment(contest, number, closed_drafts=True)
    if not lifecycle.scoring_open(contest) and sheet.state != SheetState.SUBMITTED:
        return _closed_draft(contest, application, sheet)
    if sheet.conflict == Conflict.UNDECLARED:
        if request.method == "POST":
            return redirect(_sheet_url(contest, application))
        return _conflict_page(contest, application, sheet)
    criteria = _criteria(contest)
    scores = operations.sheet_scores(sheet)
    form = scoresheet_form(criteria, scores, sheet.overall_comment)
    editable = lifecycle.scoring_open(contest) and sheet.state == SheetState.DRAFT
    if request.method == "POST" and form.validate_on_submit():
        points = {c.id: form[f"points_{c.id}"].data for c in criteria}
        quick = _quick_points(request.form.get("quick"), criteria)
        if quick:
            points[quick[0]] = quick[1]
        try:
            result = operations.save_scores(
                sheet,
                criteria,
                contest=contest,
                actor=current_user,
                points=points,
                comments={c.id: form[f"comment_{c.id}"].data for c in criteria},
                overall_comment=form.overall_comment.data,
            )
        except operations.JudgingError as error:
            db.session.rollback()
            flash(str(error), "warning")
            return redirect(_sheet_url(contest, application))
        db.session.commit()
        scores = result.scores
        if not result.errors:
            if form.review.data:
                return redirect(url_for(".submit", slug=contest.slug, number=application.number))
            flash(_("Saved."), "success")
            anchor = f"#criterion-{quick[0]}" if quick else ""
            return redirect(_sheet_url(contest, application) + anchor)
        for name, message in result.errors.items():
            form[name].errors = [message]
    return render_template(
        "judging/scoresheet.html",
        quick_max=operations.QUICK_POINTS_MAX,
        next_item=None if editable else _next_unscored(contest, application),
        contest=contest,
        application=application,
        sheet=sheet,
        criteria=criteria,
        scores=scores,
        form=form,
        editable=editable,
        total=operations.total(criteria, scores),
        scored=len(criteria) - len(operations.missing_criteria(criteria, scores)),
        **_content(contest, application),
    )


def _quick_points(value: str | None, criteria) -> tuple[int, str] | None:
    """A quick button's ``"<criterion id>:<points>"`` (the page without JavaScript):
    the criterion and the points as typed, checked by ``save_scores`` like any other."""
    criterion, _sep, points = (value or "").partition(":")
    if not (criterion.isascii() and criterion.isdigit()):  # «²» is a digit int() refuses
        return None
    if int(criterion) not in {c.id for c in criteria}:
        return None
    return int(criterion), points


def _next_unscored(contest: Contest, application: Application):
    """The next application the juror has to score after this one, while scoring is open."""
    if not lifecycle.scoring_open(contest):
        return None
    items = operations.assignments(contest, current_user)
    return operations.next_unscored(items, application.number)


def _closed_draft(contest: Contest, application: Application, sheet):
    """A sheet not submitted when scoring closed: what happened, rather than a 404."""
    return render_template(
        "judging/closed.html", contest=contest, application=application, sheet=sheet
    )


@bp.route("/<slug>/<number>/no-conflict", methods=["POST"])
@role_required(Role.JUROR)
def no_conflict(slug: str, number: str):
    contest = jury_contest(slug)
    application, sheet = juror_assignment(contest, number)
    if NoConflictForm().validate_on_submit():
        proposed = operations.proposed_conflicts(contest, application, current_user)
        try:
            operations.declare_no_conflict(
                sheet, contest=contest, actor=current_user, proposed=proposed
            )
        except operations.JudgingError as error:
            db.session.rollback()
            flash(str(error), "warning")
        else:
            db.session.commit()
    return redirect(_sheet_url(contest, application))


@bp.route("/<slug>/<number>/recuse", methods=["GET", "POST"])
@role_required(Role.JUROR)
def recuse(slug: str, number: str):
    """Recusal with a declaration, before or after reading (not once submitted)."""
    contest = jury_contest(slug)
    application, sheet = juror_assignment(contest, number)
    if not lifecycle.scoring_open(contest) or sheet.state == SheetState.SUBMITTED:
        flash(_("A submitted scoresheet cannot be withdrawn by recusal."), "warning")
        return redirect(_sheet_url(contest, application))
    form = RecusalForm()
    if form.validate_on_submit():
        try:
            operations.recuse(sheet, form.declaration.data, contest=contest, actor=current_user)
        except operations.JudgingError as error:
            db.session.rollback()
            form.declaration.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "You have recused yourself from the application %(number)s. "
                    "It will not be shown to you again.",
                    number=application.number,
                ),
                "success",
            )
            return redirect(url_for(".assignments", slug=contest.slug))
    if sheet.conflict == Conflict.UNDECLARED:
        return _conflict_page(contest, application, sheet, recusal_form=form)
    return render_template(
        "judging/recuse.html", contest=contest, application=application, form=form
    )


@bp.route("/<slug>/<number>/submit", methods=["GET", "POST"])
@role_required(Role.JUROR)
def submit(slug: str, number: str):
    """The confirmation step: the scores at a glance, then the final submission."""
    contest = jury_contest(slug)
    application, sheet = juror_assignment(contest, number)
    if sheet.conflict != Conflict.NONE or sheet.state == SheetState.SUBMITTED:
        return redirect(_sheet_url(contest, application))
    if not lifecycle.scoring_open(contest):
        abort(404)
    criteria = _criteria(contest)
    form = SubmitForm()
    if form.validate_on_submit():
        try:
            operations.submit(sheet, criteria, contest=contest, actor=current_user)
        except operations.JudgingError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(
                _("The scoresheet for %(number)s is submitted.", number=application.number),
                "success",
            )
            return redirect(url_for(".assignments", slug=contest.slug, after=application.number))
    scores = operations.sheet_scores(sheet)
    return render_template(
        "judging/submit.html",
        contest=contest,
        application=application,
        sheet=sheet,
        criteria=criteria,
        scores=scores,
        missing=operations.missing_criteria(criteria, scores),
        total=operations.total(criteria, scores),
        form=form,
    )


@bp.route("/<slug>/<number>/attachments/<int:attachment_id>")
@role_required(Role.JUROR)
def attachment(slug: str, number: str, attachment_id: int):
    """An attachment as a download; in a blind contest under a neutral name."""
    contest = jury_contest(slug)
    application, sheet = juror_assignment(contest, number)
    if sheet.conflict != Conflict.NONE:
        abort(404)
    item = db.session.scalar(
        select(Attachment)
        .where(Attachment.id == attachment_id, Attachment.application_id == application.id)
        .options(undefer(Attachment.content))
    )
    if item is None:
        abort(404)
    content, name = item.content, item.filename
    if contest.blind:
        index = db.session.scalar(
            select(func.count()).where(
                Attachment.application_id == application.id, Attachment.id <= item.id
            )
        )
        name = f"{application.number}-{index}"
        try:
            content = files.without_metadata(content, item.content_type)
        except files.Unreadable:
            return _unreadable_attachment(application)
    response = send_file(
        BytesIO(content),
        mimetype=item.content_type,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Disposition"] = files.disposition(
        files.typed_name(name, item.content_type)
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _unreadable_attachment(application: Application):
    """A file uploaded before its contest was blind that cannot be stripped: not shown."""
    current_app.logger.warning("attachment of %s not stripped of metadata", application.number)
    text = _(
        "This file cannot be opened to remove the details of who made it, so in a blind "
        "contest it is not shown. Ask the organisers for a copy without them."
    )
    page = render_template(
        "errors/error.html", status=422, title=_("The file cannot be shown"), text=text
    )
    return page, 422


def _json_error(status: int, error: str, message: str, **extra):
    return jsonify(error=error, message=message, **extra), status


def _wrong_part(payload: dict) -> str | None:
    """The first part of an autosave's JSON that does not have the shape the scoresheet's
    script sends (``autosave``), or None; a wrong part is refused, never skipped."""
    for name, value in payload.items():
        if name == "overall_comment":
            fits = isinstance(value, str)
        elif name in ("points", "comments"):
            fits = isinstance(value, dict) and all(
                isinstance(key, str) and key.isascii() and key.isdigit() for key in value
            )
            if name == "comments":
                fits = fits and all(isinstance(text, str) for text in value.values())
        else:
            fits = False
        if not fits:
            return name
    return None


def _ids(mapping) -> dict[int, object]:
    """``{"12": value}`` from JSON as ``{12: value}``; anything else is ignored."""
    if not isinstance(mapping, dict):
        return {}
    return {
        int(k): v for k, v in mapping.items() if isinstance(k, str) and k.isascii() and k.isdigit()
    }


@bp.route("/<slug>/<number>/autosave", methods=["POST"])
@csrf.exempt  # checked below, after the login check: an expired session answers 401
@json_endpoint
def autosave(slug: str, number: str):
    """Background save (JSON): ``{"points": {id: "7.5"}, "comments": {id: "…"},
    "overall_comment": "…"}``, each part optional; what is not sent stays as it is.

    Answers 200 with the new total, 422 when some values were refused (the others are
    saved), 401 when the session has ended, 400 without a valid ``X-CSRFToken``, 404 for
    a sheet the juror may not open, 409 when the sheet can no longer change.
    """
    if not current_user.is_authenticated:
        return _json_error(
            401,
            "login",
            _(
                "Your session has ended. Log in again in a new tab; your changes are kept "
                "and will be sent after that."
            ),
            login_url=url_for("auth.login"),
        )
    try:
        csrf.protect()
    except CSRFError:
        return _json_error(
            400,
            "csrf",
            _("The page is out of date. Reload it to go on."),
            csrf_token=masked_token(),
        )
    if current_user.role != Role.JUROR:
        return _json_error(403, "forbidden", _("Only jurors score applications."))
    try:
        contest = jury_contest(slug)
        application, sheet = juror_assignment(contest, number)
    except NotFound:
        return _json_error(404, "not_found", _("There is no such scoresheet."))
    except HTTPException:  # led to set up two-factor sign-in first (access.jury_contest)
        return _json_error(
            403,
            "two_factor",
            _("This contest asks its jurors to sign in with two factors. Set it up to go on."),
            setup_url=url_for("security.two_factor"),
        )
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _json_error(400, "bad_request", _("The data sent are not valid."))
    wrong = _wrong_part(payload)
    if wrong is not None:
        message = _(
            "The data sent are not valid: «%(part)s» is not what a scoresheet sends.",
            part=wrong,
        )
        return _json_error(400, "bad_request", message)
    overall = payload.get("overall_comment")
    criteria = _criteria(contest)
    try:
        result = operations.save_scores(
            sheet,
            criteria,
            contest=contest,
            actor=current_user,
            points=_ids(payload.get("points")),
            comments=_ids(payload.get("comments")),
            overall_comment=overall if isinstance(overall, str) else None,
        )
    except operations.JudgingError as error:
        db.session.rollback()
        return _json_error(409, "closed", str(error))
    db.session.commit()
    total = operations.total(criteria, result.scores)
    body = {
        "saved": result.saved,
        "errors": result.errors,
        "total": number_text(total),
        "scored": len(criteria) - len(operations.missing_criteria(criteria, result.scores)),
        "criteria": len(criteria),
    }
    return jsonify(body), 422 if result.errors else 200


@bp.app_template_filter("plain_number")
def plain_number(value) -> str:
    """A number for HTML attributes and scripts: «7.5», never «7,5»."""
    return operations.points_text(value)
