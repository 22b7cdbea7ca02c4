"""The applications list and screening under /manage/contests/<slug>/applications;
``/applications/bulk`` decides on the applications ticked in the list at once, after a
page that says exactly what will happen to each.

The rules are in ``applications.py``; these routes join ``views.bp`` and, like every
page there, answer 404 to anyone who does not organise the contest.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from .. import clock, mail, paging, tables
from ..access import own_contest
from ..applications import clarifications
from ..applications.content import answers_and_files
from ..applications.operations import lock_application
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..i18n import long_datetime
from ..links import external_url
from ..models import Application, ApplicationState, Role, User
from ..organisations import applicant_accounts
from . import applications as screening
from .application_forms import (
    STATE_CHOICES,
    BulkDecisionForm,
    ClarifyForm,
    DecisionForm,
    FilterForm,
)
from .operations import ContestError, application_counts
from .views import bp

HISTORY_LABELS = {
    "application.started": _l("Started"),
    "application.submitted": _l("Submitted"),
    "application.withdrawn": _l("Withdrawn to a draft"),
    "application.admitted": _l("Admitted to evaluation"),
    "application.rejected": _l("Rejected"),
    "clarification.requested": _l("A clarification asked for"),
    "clarification.answered": _l("The clarification answered"),
}

bp.add_app_template_global(screening.decision_note, "decision_note")


@bp.route("/<slug>/applications")
@role_required(Role.ORGANISER)
def applications_list(slug: str):
    contest = own_contest(slug)
    form = FilterForm(request.args, contest)
    filters = form.filters()
    counts = application_counts(contest)
    return render_template(
        "contests/applications.html",
        contest=contest,
        form=form,
        filters=filters,
        pagination=screening.applications_page(contest, filters, paging.page_number(request.args)),
        counts=counts,
        drafts=counts[ApplicationState.DRAFT],
        listed_total=sum(counts[state] for state in screening.LISTED),
        listed=screening.LISTED,
        state_labels=STATE_CHOICES,
        problem=screening.screening_problem(contest),
    )


@bp.route("/<slug>/applications.<any(csv, xlsx):fmt>")
@role_required(Role.ORGANISER)
def applications_download(slug: str, fmt: str):
    """The list as filtered on the page, every page of it: XLSX or CSV (``?excel=1``)."""
    contest = own_contest(slug)
    filters = FilterForm(request.args, contest).filters()
    table = screening.applications_table(contest, filters, STATE_CHOICES)
    return tables.respond(
        table, fmt, request.args.get("excel") == "1", f"{contest.slug}-applications"
    )


def _content(application: Application) -> dict:
    """The answers and attachments as the organiser reads them."""
    return answers_and_files(
        application,
        blind=False,
        url=lambda a: url_for("applications.download", attachment_id=a.id),
    )


def _inform_applicant(application: Application) -> int:
    """E-mail the decision to the organisation's applicant accounts; how many were sent."""
    admitted = application.state == ApplicationState.ADMITTED
    recipients = applicant_accounts(application)
    for user in recipients:
        language = user.language
        mail.send(
            user.email,
            _decision_text(application, admitted),
            "application_decision",
            language=language,
            application=application,
            contest_title=application.contest.title(language),
            admitted=admitted,
            note=screening.decision_note(application),
            link=external_url("applications.show", number=application.number),
        )
    return len(recipients)


def _decision_text(application: Application, admitted: bool):
    if admitted:
        return _l("Application %(number)s is admitted to evaluation", number=application.number)
    return _l("Application %(number)s is rejected", number=application.number)


def _report_decision(application: Application) -> None:
    """Tell the applicant by e-mail and the organiser by a message on the page."""
    admitted = application.state == ApplicationState.ADMITTED
    try:
        sent = _inform_applicant(application)
    except OSError:  # the mail server is down: the decision itself is saved
        current_app.logger.exception("decision on %s not mailed", application.number)
        flash(_decision_text(application, admitted), "success")
        flash(
            _(
                "The e-mail to the applicant could not be sent; they see the decision on "
                "the application’s page."
            ),
            "warning",
        )
        return
    if not sent:
        flash(_decision_text(application, admitted), "success")
    elif admitted:
        flash(
            _(
                "Application %(number)s is admitted to evaluation; the applicant is informed "
                "by e-mail.",
                number=application.number,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Application %(number)s is rejected; the applicant is informed by e-mail.",
                number=application.number,
            ),
            "success",
        )


@bp.route("/<slug>/applications/<number>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def application_show(slug: str, number: str):
    """The application as submitted, its history and, in screening, the decision form."""
    contest = own_contest(slug)
    application = screening.find_application(contest, number)
    if application is None:
        abort(404)
    form = DecisionForm()
    status = 200
    if request.method == "POST":  # CSRFProtect has checked the token
        application = lock_application(application.id)
        if form.validate():
            try:
                changed = screening.decide(
                    application,
                    form.decision_state(),
                    actor=current_user._get_current_object(),
                    reason=form.reason.data,
                )
            except ContestError as error:
                show_errors(form, error)
            else:
                db.session.commit()
                if not changed:
                    flash(_("Nothing changed: the application already stands so."), "info")
                else:
                    _report_decision(application)
                return redirect(url_for(".application_show", slug=slug, number=number))
        status = 409 if screening.screening_problem(contest) else 200
    decided_by = (
        db.session.get(User, application.decided_by_id) if application.decided_by_id else None
    )
    now = clock.now()
    requests = clarifications.requests_of(application)
    return render_template(
        "contests/applications_show.html",
        contest=contest,
        application=application,
        form=form,
        problem=screening.screening_problem(contest),
        requests=requests,
        asked=next((r for r in requests if r.is_open(now)), None),
        now=now,
        decided_by=decided_by,
        history=screening.history(application),
        history_labels=HISTORY_LABELS,
        following=screening.next_undecided(application),
        **_content(application),
    ), status


@bp.route("/<slug>/applications/<number>/clarify", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def application_clarify(slug: str, number: str):
    """Ask the applicant to fix named answers or files by a deadline (SPEC §14)."""
    contest = own_contest(slug)
    application = screening.find_application(contest, number)
    if application is None:
        abort(404)
    form = ClarifyForm(contest=contest)
    now = clock.now()
    if not form.is_submitted():
        form.deadline.data = clarifications.default_deadline(now)
    status, refusal = 200, None
    if request.method == "POST":
        application = lock_application(application.id)
        if form.validate():
            try:
                asked = clarifications.ask(
                    application,
                    message=form.message.data,
                    question_ids=form.questions.data or [],
                    deadline=form.deadline.data,
                    actor=current_user._get_current_object(),
                )
            except clarifications.ClarificationError as error:
                refusal = error.errors.pop("", None)
                show_errors(form, error)
            else:
                db.session.commit()
                _report_request(asked)
                return redirect(url_for(".application_show", slug=slug, number=number))
        status = 422
    return render_template(
        "contests/clarify.html",
        contest=contest,
        application=application,
        form=form,
        refusal=refusal,
        problem=screening.screening_problem(contest),
        asked=clarifications.open_request(application, now),
    ), status


def _report_request(asked) -> None:
    """E-mail the request to the applicant, and say so to the organiser."""
    try:
        sent = clarifications.notify(asked)
    except OSError:  # the mail server is down: the request itself is saved
        current_app.logger.exception("clarification request %s not mailed", asked.id)
        sent = 0
    if sent:
        flash(
            _(
                "The request is sent: the applicant is informed by e-mail and can answer "
                "until %(moment)s (Kyiv time).",
                moment=long_datetime(asked.deadline),
            ),
            "success",
        )
    else:
        flash(
            _(
                "The request is recorded, but no e-mail reached the applicant: they see it on "
                "the application’s page. Consider telling them by phone."
            ),
            "warning",
        )


@bp.route("/<slug>/applications/bulk", methods=["POST"])
@role_required(Role.ORGANISER)
def applications_bulk(slug: str):
    """Admit or reject the ticked applications with one reason: first what will happen
    to each, then (``confirmed``) the decisions, each audited and e-mailed as one is."""
    contest = own_contest(slug)
    form = BulkDecisionForm()
    valid = form.validate()  # first: the numbers are looked up only within the limit
    found, unknown = screening.selected(contest, [] if form.numbers.errors else form.numbers.data)
    problem = screening.screening_problem(contest)
    if unknown:
        problem = _(
            "These numbers are not among the submitted applications of this contest: "
            "%(numbers)s. Nothing is changed; go back to the list and tick again.",
            numbers=", ".join(unknown[:20]),
        )
    decision = form.decision_state()
    if valid and decision == ApplicationState.REJECTED and not form.reason.data:
        form.reason.errors.append(_("Give the reason for the rejection."))
        valid = False
    if problem or not valid:
        return render_template(
            "contests/applications_bulk.html",
            contest=contest,
            form=form,
            problem=problem,
            plan=None,
            found=found,
        ), (422 if problem else 200)
    if not form.confirmed.data:
        return render_template(
            "contests/applications_bulk.html",
            contest=contest,
            form=form,
            problem=None,
            plan=screening.plan_decisions(found, decision, form.reason.data or ""),
            admitted=decision == ApplicationState.ADMITTED,
        )
    done = screening.decide_many(
        found,
        decision,
        actor=current_user._get_current_object(),
        reason=form.reason.data or "",
        lock=lock_application,
    )
    db.session.commit()
    _report_bulk(done, decision == ApplicationState.ADMITTED)
    return redirect(url_for(".applications_list", slug=slug))


def _report_bulk(done, admitted: bool) -> None:
    """E-mail each applicant whose application changed; say what happened and what not."""
    unsent = []
    for application in done.change:
        try:
            _inform_applicant(application)
        except OSError:  # the mail server is down: the decisions themselves are saved
            current_app.logger.exception("decision on %s not mailed", application.number)
            unsent.append(application.number)
    if done.change:
        numbers = ", ".join(a.number for a in done.change)
        if admitted:
            message = ngettext(
                "%(num)d application is admitted to evaluation: %(numbers)s.",
                "%(num)d applications are admitted to evaluation: %(numbers)s.",
                len(done.change),
                numbers=numbers,
            )
        else:
            message = ngettext(
                "%(num)d application is rejected: %(numbers)s.",
                "%(num)d applications are rejected: %(numbers)s.",
                len(done.change),
                numbers=numbers,
            )
        flash(message, "success")
    if done.unchanged:
        flash(
            _(
                "Already so, nothing changed: %(numbers)s.",
                numbers=", ".join(a.number for a in done.unchanged),
            ),
            "info",
        )
    for application, why in done.refused:
        flash(_("%(number)s is not changed: %(why)s", number=application.number, why=why), "danger")
    if unsent:
        flash(
            _(
                "The e-mail could not be sent to the applicants of %(numbers)s; they see the "
                "decision on the application’s page.",
                numbers=", ".join(unsent),
            ),
            "warning",
        )
