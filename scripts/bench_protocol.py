"""Time the jury's protocol PDF for 1,000 applications × 7 jurors × 6 criteria (SPEC §10).

Seeds a temporary SQLite database through the models in bulk (one contest, 1,000
admitted applications, 7,000 submitted scoresheets, 42,000 scores), then builds the
protocol as ``flask pdf SLUG protocol`` does: the data from the database
(``scoring.documents.data.protocol``, the ranking included) and the PDF
(``scoring.documents.protocol.build``). Prints the seconds of each part; the bar is
under 3 s for both together. Run from the repository's root::

    .venv/bin/python scripts/bench_protocol.py [--runs 3] [-o protocol.pdf]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring import create_app, edrpou  # noqa: E402
from scoring.documents import data, protocol  # noqa: E402
from scoring.extensions import db  # noqa: E402
from scoring.models import (  # noqa: E402
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Criterion,
    JuryMember,
    Organisation,
    OrganisationKind,
    Role,
    Score,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

APPLICATIONS, JURORS, CRITERIA = 1000, 7, 6
OBLASTS = ["UA-12", "UA-14", "UA-23", "UA-35", "UA-48", "UA-51", "UA-63"]


def seed() -> Contest:
    """The contest in deliberation with every sheet submitted; returns it."""
    rng = random.Random(2026)  # noqa: S311 — benchmark data
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    organiser = User(email="secretary@bench.example", name="Секретар Комісії", role=Role.ORGANISER)
    contest = Contest(
        slug="bench-2026",
        title_uk="Успішна участь громади (навантажувальна перевірка)",
        title_en="Successful Community Participation (load test)",
        organising_body="Хаб участі",
        applicant_kinds=["community", "ngo"],
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=30),
        stage=Stage.DELIBERATION,
        number_prefix="BEN",
        winners=5,
        protocol_number="7",
        protocol_place="м. Харків",
        organisers=[organiser],
    )
    contest.criteria = [
        Criterion(
            code=f"C{i}",
            title_uk=f"Критерій оцінювання номер {i}",
            max_points=Decimal(10),
            weight=Decimal("1.5") if i == 2 else Decimal(1),
            step=Decimal("0.5") if i == CRITERIA else Decimal(1),
            position=i,
        )
        for i in range(1, CRITERIA + 1)
    ]
    jurors = [
        User(email=f"juror{j}@bench.example", name=f"Член Журі {j}", role=Role.JUROR)
        for j in range(1, JURORS + 1)
    ]
    db.session.add_all([contest, *jurors])
    db.session.flush()
    db.session.execute(
        insert(JuryMember),
        [
            {"contest_id": contest.id, "user_id": juror.id, "is_chair": i == 0, "added_at": now}
            for i, juror in enumerate(jurors)
        ],
    )
    db.session.execute(
        insert(Organisation),
        [
            {
                "id": n,
                "kind": OrganisationKind.NGO if n % 2 else OrganisationKind.COMMUNITY,
                "name": f"ГО «Агенція розвитку громади {n}»",
                "edrpou": edrpou.complete(f"{3000000 + n:07d}"),
                "oblast": OBLASTS[n % len(OBLASTS)],
                "community": f"Громада номер {n}",
                "contact_person": "Контактна особа",
                "email": f"org{n}@bench.example",
                "phone": "+380500000000",
                "created_at": now,
            }
            for n in range(1, APPLICATIONS + 1)
        ],
    )
    db.session.execute(
        insert(Application),
        [
            {
                "id": n,
                "contest_id": contest.id,
                "organisation_id": n,
                "state": ApplicationState.ADMITTED,
                "serial": n,
                "number": f"BEN-2026-{n:04d}",
                "title": f"Проєкт {n}",
                "created_at": now,
                "updated_at": now,
                "submitted_at": now - timedelta(days=40),
            }
            for n in range(1, APPLICATIONS + 1)
        ],
    )
    sheets, scores = [], []
    for n in range(1, APPLICATIONS + 1):
        quality = rng.uniform(3, 9)
        for j, juror in enumerate(jurors):
            sheet_id = (n - 1) * JURORS + j + 1
            sheets.append(
                {
                    "id": sheet_id,
                    "application_id": n,
                    "juror_id": juror.id,
                    "conflict": Conflict.NONE,
                    "declared_at": now,
                    "state": SheetState.SUBMITTED,
                    "assigned_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                }
            )
            for criterion in contest.criteria:
                value = min(10, max(0, quality + rng.uniform(-2, 2)))
                points = (Decimal(str(value)) / criterion.step).quantize(1) * criterion.step
                scores.append(
                    {
                        "scoresheet_id": sheet_id,
                        "criterion_id": criterion.id,
                        "points": points,
                        "updated_at": now,
                    }
                )
    db.session.execute(insert(Scoresheet), sheets)
    db.session.execute(insert(Score), scores)
    db.session.commit()
    return contest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="how many times to build it")
    parser.add_argument("-o", "--output", type=Path, help="also write the last PDF here")
    arguments = parser.parse_args()
    runs = arguments.runs
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                "INSTANCE_PATH": folder,
            }
        )
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            contest = seed()
            print(f"seeded in {time.perf_counter() - started:.1f} s")
            best = None
            for run in range(1, runs + 1):
                db.session.expire_all()
                began = time.perf_counter()
                records = data.protocol(contest, "uk", secretary="Секретар Комісії")
                gathered = time.perf_counter()
                pdf = protocol.build(records)
                built = time.perf_counter()
                total = built - began
                best = total if best is None else min(best, total)
                print(
                    f"run {run}: data {gathered - began:.2f} s + PDF {built - gathered:.2f} s "
                    f"= {total:.2f} s ({len(pdf) // 1024} KB, "
                    f"{pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages')} pages)"
                )
            print(f"protocol for {APPLICATIONS} applications: {best:.2f} s (best of {runs})")
            if arguments.output:
                arguments.output.write_bytes(pdf)
            db.engine.dispose()


if __name__ == "__main__":
    main()
