"""The record of the jury's meeting for its protocol (SPEC §16): one page for the organisers.

``/manage/contests/<slug>/meeting`` answers the contest's organisers from the judging
stage on (anyone else: 404, a signed-in non-organiser: 403). GET shows the record
with the quorum as it stands; POST saves it (``meeting.save``, audited) while the
results are not yet published, and shows every refused field beside its input.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import lifecycle
from ..access import own_contest
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..i18n import AGENDA_LABELS
from ..models import Role
from . import meeting
from .blueprint import bp, document_url
from .forms import VOTE_PARTS, meeting_form


def _agenda():
    return [(item, AGENDA_LABELS[item.value]) for item in meeting.AGENDA]


def _stored(contest, members) -> dict:
    """The form's values as the database holds them."""
    values = {
        "protocol_number": contest.protocol_number,
        "protocol_date": contest.protocol_date,
        "protocol_place": contest.protocol_place,
        "protocol_secretary": contest.protocol_secretary,
        "protocol_secretary_position": contest.protocol_secretary_position,
    }
    for member, user in members:
        values[f"position_{user.id}"] = member.position
        values[f"present_{user.id}"] = {True: "yes", False: "no"}.get(member.present, "")
    for item, vote in meeting.votes(contest).items():
        values[f"{item.value}_for"] = vote.votes_for
        values[f"{item.value}_against"] = vote.votes_against
        values[f"{item.value}_abstained"] = vote.abstained
        values[f"{item.value}_chair_decided"] = vote.chair_decided
    return values


def _record(form, members) -> meeting.Record:
    votes = {}
    for item in meeting.AGENDA:
        counts = [form[f"{item.value}_{part}"].data for part, _label in VOTE_PARTS]
        # Any count given makes a vote; a count left empty is then none.
        chair_decided = form[f"{item.value}_chair_decided"].data
        votes[item] = (
            meeting.Vote(*(count or 0 for count in counts), chair_decided=chair_decided)
            if chair_decided or any(count is not None for count in counts)
            else None
        )
    return meeting.Record(
        number=form.protocol_number.data,
        date=form.protocol_date.data,
        place=form.protocol_place.data,
        secretary=form.protocol_secretary.data,
        secretary_position=form.protocol_secretary_position.data,
        positions={user.id: form[f"position_{user.id}"].data for _m, user in members},
        present={
            user.id: {"yes": True, "no": False}.get(form[f"present_{user.id}"].data)
            for _m, user in members
        },
        votes=votes,
    )


@bp.route("/manage/contests/<slug>/meeting", methods=["GET", "POST"], endpoint="meeting")
@role_required(Role.ORGANISER)
def meeting_page(slug: str):
    contest = own_contest(slug)
    if not lifecycle.scoring_started(contest):
        abort(404)
    members = meeting.jury(contest)
    agenda = _agenda()
    editable = lifecycle.meeting_open(contest)
    form = meeting_form(members, agenda, data=_stored(contest, members))
    if editable and form.validate_on_submit():
        try:
            meeting.save(contest, _record(form, members), actor=current_user._get_current_object())
        except meeting.MeetingError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("The record of the meeting is saved."), "success")
            return redirect(url_for(".meeting", slug=contest.slug))
    present = sum(1 for member, _user in members if member.present)
    recorded = bool(members) and all(member.present is not None for member, _user in members)
    return render_template(
        "results/meeting.html",
        contest=contest,
        form=form,
        members=members,
        agenda=agenda,
        vote_parts=VOTE_PARTS,
        editable=editable,
        attendance={
            "recorded": recorded,
            "present": present,
            "members": len(members),
            "needed": lifecycle.meeting_quorum(len(members)),
        },
        protocol_url=document_url(
            "documents.protocol",
            f"/manage/contests/{contest.slug}/protocol.pdf",
            slug=contest.slug,
        ),
    )
