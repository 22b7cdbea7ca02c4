"""The jury's meeting as its protocol records it (SPEC §16).

The organisers enter, on the deliberation side (``meeting_views``), what the secretary
of the commission writes into the protocol: the protocol's number, the date and place
of the meeting, who keeps the protocol, each member's position and whether they were
present, and how the commission voted on each question of the agenda (``AgendaItem``).
The protocol (``scoring.documents``) prints them; until they are entered it leaves
lines to fill in by hand.

Rules, checked by ``save`` before anything changes (``MeetingError`` names the fields):

- the meeting is quorate when more than half of the members are present
  (``lifecycle.meeting_quorum``; publication waits for a quorate meeting);
- attendance is recorded for every member or for none (then the paper protocol is
  filled in by hand);
- a vote needs the attendance, a quorate meeting, at most as many votes as members
  present, and a majority of those present for the decision the protocol records, or,
  the votes for and against being equal, the vote of the chair, who was present (the
  rule of most Ukrainian commissions' regulations: «у разі рівного розподілу голосів
  вирішальним є голос голови»);
- the date is not in the future and not before the contest opened.

The record can change while the jury works (judging and deliberation); once the
results are published it is frozen with them. Every change writes one audit entry
naming what changed (member ids and numbers, never names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, clock, lifecycle
from ..extensions import db
from ..hromadas import collation_key
from ..i18n import long_date
from ..models import AgendaItem, Contest, JuryMember, ProtocolVote, User

AGENDA = tuple(AgendaItem)


class MeetingError(Exception):
    """A record that cannot be saved; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(", ".join(errors))
        self.errors = errors


def jury(contest: Contest) -> list[tuple[JuryMember, User]]:
    """The members with their accounts, the chair first, then in Ukrainian alphabetical
    order of their names (one query)."""
    rows = db.session.execute(
        select(JuryMember, User)
        .join(User, JuryMember.user_id == User.id)
        .where(JuryMember.contest_id == contest.id)
    ).all()
    return sorted(rows, key=lambda r: (not r[0].is_chair, collation_key(r[1].name), r[1].id))


def votes(contest: Contest) -> dict[AgendaItem, ProtocolVote]:
    return {
        vote.item: vote
        for vote in db.session.scalars(
            select(ProtocolVote).where(ProtocolVote.contest_id == contest.id)
        )
    }


@dataclass(frozen=True)
class Vote:
    votes_for: int
    against: int
    abstained: int
    chair_decided: bool = False


@dataclass(frozen=True)
class Record:
    """What the organiser entered (already typed and stripped by the form)."""

    number: str
    date: date | None
    place: str
    secretary: str
    secretary_position: str
    positions: dict[int, str]  # user id → position
    present: dict[int, bool | None]  # user id → present, absent, not recorded
    votes: dict[AgendaItem, Vote | None]  # None: the commission did not vote


def _check(contest: Contest, record: Record, members: list[int], chairs: list[int]) -> dict:
    errors = {}
    today = clock.now().astimezone(clock.KYIV).date()
    if record.date and record.date > today:
        errors["protocol_date"] = _l(
            "The date of the meeting cannot be in the future: the protocol records a "
            "meeting that took place."
        )
    opened = contest.opens_at.astimezone(clock.KYIV).date()
    if record.date and record.date < opened:
        errors["protocol_date"] = _l(
            "The meeting cannot be before the contest opened (%(date)s).",
            date=long_date(opened),
        )
    marks = [record.present.get(uid) for uid in members]
    recorded = [m for m in marks if m is not None]
    if recorded and len(recorded) < len(marks):
        for uid in members:
            if record.present.get(uid) is None:
                errors[f"present_{uid}"] = _l(
                    "Mark every member as present or absent, or none of them (then the "
                    "protocol leaves the attendance to be filled in by hand)."
                )
    present = sum(1 for m in marks if m)
    needed = lifecycle.meeting_quorum(len(members))
    chair_present = any(record.present.get(uid) for uid in chairs)
    for item in AGENDA:
        vote = record.votes.get(item)
        if vote is None:
            continue
        field = f"{item.value}_for"
        if not recorded or len(recorded) < len(marks):
            errors[field] = _l("Record who was present first: a vote counts the members present.")
        elif present < needed:
            errors[field] = _l(
                "The meeting is not quorate (%(present)s of %(members)s members present, "
                "%(needed)s needed): the commission could not vote.",
                present=present,
                members=len(members),
                needed=needed,
            )
        elif vote.votes_for + vote.against + vote.abstained > present:
            errors[field] = _l(
                "For, against and abstained come to %(total)s, but only %(present)s members "
                "were present.",
                total=vote.votes_for + vote.against + vote.abstained,
                present=present,
            )
        elif vote.chair_decided and vote.votes_for != vote.against:
            errors[f"{item.value}_chair_decided"] = _l(
                "The chair’s vote decides only when the votes for and against are equal "
                "(here %(for)s and %(against)s).",
                against=vote.against,
                **{"for": vote.votes_for},
            )
        elif vote.chair_decided and not vote.votes_for:
            errors[field] = _l("Enter the votes for and against: at least one vote for.")
        elif vote.chair_decided and not chair_present:
            errors[f"{item.value}_chair_decided"] = _l(
                "The chair of the commission is not marked as present, so their vote "
                "could not decide."
            )
        elif not vote.chair_decided and vote.votes_for and vote.votes_for == vote.against:
            errors[field] = _l(
                "A decision needs a majority of the members present: at least %(needed)s "
                "votes for. The votes for and against are equal: if the chair’s vote "
                "decided, tick «The chair’s vote decided»; otherwise the decision was not "
                "adopted and cannot be recorded here.",
                needed=present // 2 + 1,
            )
        elif not vote.chair_decided and vote.votes_for * 2 <= present:
            errors[field] = _l(
                "A decision needs a majority of the members present: at least %(needed)s "
                "votes for. The protocol records the decision as adopted, so a decision "
                "that was not adopted cannot be recorded here.",
                needed=present // 2 + 1,
            )
    return errors


def save(contest: Contest, record: Record, *, actor: User) -> None:
    """Store the record of the meeting (``MeetingError`` before anything changes)."""
    lifecycle.hold_stage(contest)  # a publication waits for the record, or it for it
    if not lifecycle.meeting_open(contest):
        raise MeetingError(
            {
                "protocol_number": _l(
                    "The results are published: the record of the meeting no longer changes."
                )
            }
        )
    members = jury(contest)
    errors = _check(
        contest,
        record,
        [user.id for _member, user in members],
        [user.id for member, user in members if member.is_chair],
    )
    if errors:
        raise MeetingError(errors)
    changed = [
        name
        for name, value in (
            ("number", record.number),
            ("date", record.date),
            ("place", record.place),
            ("secretary", record.secretary),
            ("secretary_position", record.secretary_position),
        )
        if getattr(contest, f"protocol_{name}") != value
    ]
    contest.protocol_number, contest.protocol_date = record.number, record.date
    contest.protocol_place, contest.protocol_secretary = record.place, record.secretary
    contest.protocol_secretary_position = record.secretary_position
    attendance = {}
    positions = []
    for member, user in members:
        position = record.positions.get(user.id, "")
        if member.position != position:
            positions.append(user.id)
            member.position = position
        present = record.present.get(user.id)
        if member.present != present:
            attendance[str(user.id)] = present
            member.present = present
    stored = votes(contest)
    voted = {}
    for item in AGENDA:
        vote, old = record.votes.get(item), stored.get(item)
        if vote is None:
            if old is not None:
                db.session.delete(old)
                voted[item.value] = None
            continue
        counts = (vote.votes_for, vote.against, vote.abstained, vote.chair_decided)
        if old is None:
            old = ProtocolVote(contest_id=contest.id, item=item)
            db.session.add(old)
        elif (old.votes_for, old.votes_against, old.abstained, old.chair_decided) == counts:
            continue
        voted[item.value] = list(counts[:3]) + (["chair"] if vote.chair_decided else [])
        old.votes_for, old.votes_against, old.abstained, old.chair_decided = counts
    db.session.flush()
    audit.record(
        "protocol.meeting",
        actor=actor,
        contest=contest,
        obj=contest,
        changed=changed,
        positions=positions,
        attendance=attendance,
        votes=voted,
    )
