"""E-mails that tell jurors about their work: one per juror per event, never one per
application.

- ``announce_assignments``: after an organiser's action adds assignments while scoring is
  open ("assign automatically", one juror added to an application, "add a juror" on a
  divergence), each juror with new applications gets one e-mail naming them. Before
  judging nothing is sent: the e-mail of the opening tells each juror all at once.
- ``announce_judging``: when the contest moves to judging (also back from deliberation),
  each member of the jury with applications still to score gets one e-mail with their
  number and the link to the assignments.

The views call them after the commit; a failed delivery is logged and counted, and
never undoes what was saved.
"""

import smtplib
from collections import defaultdict
from collections.abc import Iterable

from flask import current_app, flash
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from .. import lifecycle, mail
from ..extensions import db
from ..links import external_url
from ..models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    JuryMember,
    Scoresheet,
    SheetState,
    User,
)


def _send(user: User, contest: Contest, subject, template: str, **context) -> bool:
    language = user.language or "uk"
    try:
        mail.send(
            user.email,
            subject,
            template,
            language=language,
            name=user.name,
            contest_title=contest.title(language),
            link=external_url("judging.assignments", slug=contest.slug),
            **context,
        )
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("e-mail to juror %s failed", user.id)
        return False
    return True


def _tally(results: Iterable[bool]) -> tuple[int, int]:
    results = list(results)
    return sum(results), len(results) - sum(results)


def announce_assignments(contest: Contest, pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """One e-mail to each juror of the new (application id, juror id) ``pairs`` while
    scoring is open; (sent, failed)."""
    if not lifecycle.scoring_open(contest):
        return 0, 0
    by_juror: dict[int, list[int]] = defaultdict(list)
    for application_id, juror_id in pairs:
        by_juror[juror_id].append(application_id)
    if not by_juror:
        return 0, 0
    ids = [app_id for app_ids in by_juror.values() for app_id in app_ids]
    numbers = dict(
        db.session.execute(
            select(Application.id, Application.number).where(Application.id.in_(ids))
        ).all()
    )
    users = db.session.scalars(
        select(User).where(User.id.in_(by_juror), User.anonymised_at.is_(None))
    ).all()
    return _tally(
        _send(
            user,
            contest,
            _l("New applications to score"),
            "jury_assigned",
            numbers=sorted(numbers[app_id] for app_id in by_juror[user.id]),
        )
        for user in sorted(users, key=lambda u: u.id)
    )


def announce_judging(contest: Contest) -> tuple[int, int]:
    """One e-mail to each member of the jury with sheets to score; (sent, failed)."""
    rows = db.session.execute(
        select(User, func.count(Scoresheet.id))
        .join(JuryMember, JuryMember.user_id == User.id)
        .join(Scoresheet, Scoresheet.juror_id == User.id)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(
            JuryMember.contest_id == contest.id,
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.state == SheetState.DRAFT,
            Scoresheet.conflict != Conflict.RECUSED,
            User.anonymised_at.is_(None),
        )
        .group_by(User.id)
        .order_by(User.id)
    ).all()
    return _tally(
        _send(
            user,
            contest,
            _l("Scoring is open: «%(contest)s»", contest=contest.title(user.language or "uk")),
            "jury_judging_open",
            remaining=remaining,
        )
        for user, remaining in rows
    )


def tell(sent: int, failed: int) -> None:
    """Flash how many jurors were told by e-mail, and how many e-mails failed."""
    if sent:
        flash(
            ngettext(
                "%(num)d juror is informed by e-mail.",
                "%(num)d jurors are informed by e-mail.",
                sent,
            ),
            "info",
        )
    if failed:
        flash(
            ngettext(
                "%(num)d e-mail to a juror could not be sent; the mail server’s log says why.",
                "%(num)d e-mails to jurors could not be sent; the mail server’s log says why.",
                failed,
            ),
            "warning",
        )
