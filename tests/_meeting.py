"""The jury's meeting entered for the protocol, as publication needs it (SPEC §16): the
one builder every test uses to give a contest its meeting's number, date and place and
its members' attendance (``build.meeting`` commits it; ``record_meeting`` sets it on a
contest inside the caller's session)."""

from __future__ import annotations

from datetime import date

from scoring import clock
from scoring.models import Contest

PLACE = "м. Харків, вул. Сумська, 64, зала засідань"


def meeting_day(contest: Contest) -> date:
    """A date the meeting page accepts: the day applications closed (Kyiv time), or
    today while they are still open; never before the contest opened."""
    today = clock.now().astimezone(clock.KYIV).date()
    closed = contest.closes_at.astimezone(clock.KYIV).date()
    opened = contest.opens_at.astimezone(clock.KYIV).date()
    return max(opened, min(today, closed))


def record_meeting(
    contest: Contest,
    *,
    number: str = "7",
    day: date | None = None,
    place: str = PLACE,
    absent: tuple[int, ...] = (),
    attendance: bool = True,
) -> None:
    """Fill in the meeting's details and mark every member present, but the users in
    ``absent`` (with ``attendance=False``, the attendance is left unrecorded); the
    caller commits."""
    contest.protocol_number = number
    contest.protocol_date = day or meeting_day(contest)
    contest.protocol_place = place
    if not attendance:
        return
    for member in contest.jury:
        member.present = (member.user_id or member.user.id) not in absent
