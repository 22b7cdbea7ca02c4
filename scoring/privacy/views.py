"""Personal-data pages: the applicant's export, the organisers' list of people to anonymise."""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import paging
from ..access import own_contest
from ..auth import role_required
from ..extensions import db
from ..i18n import current_language
from ..models import Role
from . import operations
from .operations import APPLICANT

bp = Blueprint("privacy", __name__)


@bp.route("/organisation/data.json")
@role_required(Role.APPLICANT)
def organisation_data():
    """Everything held about the signed-in applicant's organisation, as a JSON download."""
    organisation = current_user.organisation
    if organisation is None:
        abort(404)
    document = operations.organisation_data(organisation, current_language())
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="organisation-{organisation.edrpou}.json"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/manage/contests/<slug>/people")
@role_required(Role.ORGANISER)
def people(slug: str):
    """The contest's applicants' contact people, ``?page=N`` of them, and its jurors,
    with "anonymise" actions."""
    contest = own_contest(slug)
    return render_template(
        "privacy/people.html",
        contest=contest,
        applicants=operations.applicants_page(contest, paging.page_number(request.args)),
        jurors=operations.contest_jurors(contest),
        problem=operations.anonymisation_problem(contest),
    )


@bp.route(
    "/manage/contests/<slug>/people/<kind>/<int:person_id>/anonymise", methods=["GET", "POST"]
)
@role_required(Role.ORGANISER)
def anonymise(slug: str, kind: str, person_id: int):
    """GET asks for confirmation (or explains why not); POST anonymises and goes back to
    the page of the people it came from (``?page=N``)."""
    contest = own_contest(slug)
    person = operations.find_person(contest, kind, person_id)
    if person is None:
        abort(404)
    problem = operations.anonymisation_problem(contest, person)
    page = paging.page_number(request.args)  # of the applicants, where the person was listed
    back = url_for(".people", slug=slug, page=page if page > 1 else None)
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        operations.anonymise(person, actor=current_user._get_current_object(), contest=contest)
        db.session.commit()
        flash(_("The person’s data are anonymised."), "success")
        return redirect(back)
    if person.kind == APPLICANT:
        subject = f"{person.organisation}: {person.name} ({person.email})"
        text = _(
            "The contact person, e-mail and phone of the organisation and the names and "
            "e-mails of its accounts are replaced by placeholders; its accounts can no longer "
            "log in. The organisation’s name, applications, scores and the audit log stay. "
            "This cannot be undone."
        )
    else:
        subject = f"{person.name} ({person.email})"
        text = _(
            "The juror’s name and e-mail are replaced by placeholders and the account can no "
            "longer log in. Their scores, declarations and the audit log stay. This cannot be "
            "undone."
        )
    return render_template(
        "contests/confirm.html",
        contest=contest,
        heading=_("Anonymise this person?"),
        subject=subject,
        text=text,
        problem=problem,
        submit=_("Anonymise"),
        back=back,
    ), (409 if problem and request.method == "POST" else 200)
