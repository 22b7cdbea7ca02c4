"""The applications list and screening under /manage/contests/<slug>/applications.

The rules are in ``applications.py``; these routes join ``views.bp`` and, like every
page there, answer 404 to anyone who does not organise the contest.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import mail
from ..access import own_contest
from ..applications.content import answers_and_files
from ..applications.operations import lock_application
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..links import external_url
from ..models import Application, ApplicationState, Role, User
from . import applications as screening
from .application_forms import STATE_CHOICES, DecisionForm, FilterForm
from .operations import ContestError, application_counts
from .views import bp

MAX_PAGE = 100_000  # a larger page number in the address is no page at all
HISTORY_LABELS = {
    "application.started": _l("Started"),
    "application.submitted": _l("Submitted"),
    "application.withdrawn": _l("Withdrawn to a draft"),
    "application.admitted": _l("Admitted to evaluation"),
    "application.rejected": _l("Rejected"),
}

bp.add_app_template_global(screening.decision_note, "decision_note")


@bp.route("/<slug>/applications")
@role_required(Role.ORGANISER)
def applications_list(slug: str):
    contest = own_contest(slug)
    form = FilterForm(request.args, contest)
    filters = form.filters()
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    counts = application_counts(contest)
    return render_template(
        "contests/applications.html",
        contest=contest,
        form=form,
        filters=filters,
        pagination=screening.applications_page(contest, filters, page),
        counts=counts,
        drafts=counts[ApplicationState.DRAFT],
        listed_total=sum(counts[state] for state in screening.LISTED),
        listed=screening.LISTED,
        state_labels=STATE_CHOICES,
        problem=screening.screening_problem(contest),
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
    recipients = screening.applicant_recipients(application)
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
    return render_template(
        "contests/applications_show.html",
        contest=contest,
        application=application,
        form=form,
        problem=screening.screening_problem(contest),
        decided_by=decided_by,
        history=screening.history(application),
        history_labels=HISTORY_LABELS,
        following=screening.next_undecided(application),
        **_content(application),
    ), status
