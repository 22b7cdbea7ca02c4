"""Public pages: the home page with open contests and published results, a contest's page."""

from flask import Blueprint, abort, current_app, render_template, send_from_directory
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import clock, lifecycle, rounds
from .extensions import db
from .models import Contest, Stage

bp = Blueprint("pages", __name__)


@bp.app_template_global()
def navigation() -> list[tuple[str, str]]:
    """The main menu: (endpoint, label) for the places the current user has."""
    items = [("pages.home", _l("Contests"))]
    if current_user.is_authenticated:
        items.append(("auth.account", _l("My account")))
        if current_user.is_applicant:
            items.append(("applications.mine", _l("My applications")))
        if current_user.is_organiser:
            items.append(("contests.index", _l("My contests")))
            items.append(("auth.invite", _l("Invite")))
        if current_user.is_juror:
            items.append(("judging.index", _l("Scoring")))
    return items


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own: the icon from our static files."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )


@bp.route("/")
def home():
    # A later round (SPEC §13) is not a contest of its own here: its first round is.
    contests = db.session.scalars(
        select(Contest)
        .where(
            Contest.previous_round_id.is_(None),
            Contest.stage.in_(
                [
                    Stage.OPEN,
                    Stage.PUBLISHED,
                    Stage.ARCHIVED,
                    Stage.SCREENING,
                    Stage.JUDGING,
                    Stage.DELIBERATION,
                ]
            ),
        )
        .order_by(Contest.closes_at.desc())
    ).all()
    now = clock.now()
    return render_template(
        "pages/home.html",
        open_contests=[c for c in contests if c.accepts_applications(now)],
        in_progress=[
            c
            for c in contests
            if c.stage in (Stage.OPEN, Stage.SCREENING, Stage.JUDGING, Stage.DELIBERATION)
            and not c.accepts_applications(now)
        ],
        published=[c for c in contests if lifecycle.results_frozen(c)],
    )


@bp.route("/contests/<slug>")
def contest(slug: str):
    contest = db.session.scalar(
        select(Contest)
        .where(Contest.slug == slug)
        .options(selectinload(Contest.criteria), selectinload(Contest.categories))
    )
    if contest is None or not contest.is_public:
        abort(404)
    first = None
    if contest.previous_round_id is not None:
        first = rounds.chain(contest)[0]
    return render_template(
        "pages/contest.html",
        contest=contest,
        now=clock.now(),
        first_round=first,
        round_number=rounds.number(contest) if first else None,
    )
