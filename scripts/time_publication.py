"""How long the organiser's publish POST takes with many applicants to tell (issue 17).

    .venv/bin/python scripts/time_publication.py [APPLICANTS] [DATABASE_URL]

A contest ready to publish (``tests/_outcome.decided_contest``: two scored applications,
one rejected) gets APPLICANTS more applications rejected at screening, each with an
applicant's account: every one of them is told of the publication, as the scored ones
are. The e-mails go to the outbox (no mail server). Prints the time of the POST and,
where they are sent in the background, how long the sending took after it. Without a
DATABASE_URL a new SQLite file; a PostgreSQL URL names an empty database to fill.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from scoring import create_app  # noqa: E402
from scoring.extensions import db  # noqa: E402
from scoring.models import (  # noqa: E402
    Application,
    ApplicationState,
    Contest,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from tests._outcome import decided_contest, signed_in  # noqa: E402
from tests.conftest import WARNINGS_INPUT, Builders, Client, _settings  # noqa: E402


def seed(app, build, size: int):
    decided = decided_contest(app, build, slug="velykyi-konkurs")
    with app.app_context():
        contest = db.session.get(Contest, decided.contest_id)
        password = db.session.scalar(
            select(User.password_hash).where(User.email == decided.organiser)
        )
        first = db.session.scalar(select(func.max(Organisation.id))) + 1
        db.session.execute(
            insert(Organisation),
            [
                {
                    "id": first + n,
                    "kind": OrganisationKind.NGO,
                    "name": f"ГО «Учасник {n}»",
                    "edrpou": f"{50000000 + n:08d}",
                    "oblast": "UA-63",
                    "community": "Харківська міська громада",
                    "contact_person": "Контактна особа",
                    "email": f"org{n}@example.org",
                    "phone": "+380501234567",
                }
                for n in range(size)
            ],
        )
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"applicant{n}@example.org",
                    "name": f"Заявник {n}",
                    "role": Role.APPLICANT,
                    "organisation_id": first + n,
                    "password_hash": password,
                }
                for n in range(size)
            ],
        )
        db.session.execute(
            insert(Application),
            [
                {
                    "contest_id": contest.id,
                    "organisation_id": first + n,
                    "serial": 10 + n,
                    "number": f"{contest.number_prefix}-2026-{10 + n:05d}",
                    "state": ApplicationState.REJECTED,
                    "title": f"Проєкт {n}",
                    "submitted_at": contest.opens_at,
                    "decided_at": contest.closes_at,
                    "decision_reason": "Бракує статуту.",
                }
                for n in range(size)
            ],
        )
        contest.last_number = 10 + size
        db.session.commit()
    return decided


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    folder = Path(tempfile.mkdtemp(prefix="time-publication-"))
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder / 'scoring.sqlite'}"
    app = create_app(_settings(folder, url) | {"TESTING": False})
    app.test_client_class = Client
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    decided = seed(app, Builders(app), size)
    organiser = signed_in(app, decided.organiser)
    url_ = f"/manage/contests/{decided.slug}/stage?to=published"
    shown = WARNINGS_INPUT.search(organiser.get(url_).get_data(as_text=True))
    form = {
        "csrf_token": organiser.csrf_token(),
        "warnings": shown.group(1) if shown else "",
        "confirm": "y",
    }
    started = time.perf_counter()
    response = organiser.post(url_, data=form)
    posted = time.perf_counter() - started
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    try:
        from scoring import background
    except ImportError:
        background = None  # the code before issue 17: everything was sent in the POST
    if background is not None:
        background.join()
    done = time.perf_counter() - started
    outbox = len(list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml")))
    print(
        f"{size + 3} applicants, {url.split(':')[0]}: "
        f"POST {posted:.2f} s; all {outbox} e-mails written after {done:.2f} s"
    )


if __name__ == "__main__":
    main()
