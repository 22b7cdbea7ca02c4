"""Arrange helpers of the grant tests (SPEC §12; not a test module).

``grant_contest`` sets a contest up as staff do for one judged on paper: the
``scoring.contest/1`` document with a fund, the applications file with the amounts
requested, the scores file of two jurors. Five applications, scored 10, 9, 8, 7 and 6,
ask for 60 000, 50 000, 45 000,50, 30 000,50 and 20 000 of a fund of 100 000 (at most
60 000 each): the first and the fourth are funded (90 000,50), the second, third and
fifth do not fit in what is left.
"""

import json
from dataclasses import dataclass

from sqlalchemy import select

from scoring import edrpou
from scoring.extensions import db
from scoring.models import Contest, JuryMember, Role, Stage, User

from ._meeting import record_meeting

SLUG = "granty-2026"
ORGANISER = "organiser@example.org"
JURORS = ("olena@example.org", "andrii@example.org")
FUND = "100000.00"
MAX_REQUEST = "60000.00"
DOCUMENT = {
    "format": "scoring.contest/1",
    "slug": SLUG,
    "title": {"uk": "Гранти громадам 2026", "en": "Community grants 2026"},
    "opens_at": "2026-03-01T09:00:00+02:00",
    "closes_at": "2026-03-31T18:00:00+03:00",
    "winners": 5,
    "fund": FUND,
    "max_request": MAX_REQUEST,
    "scoring": {"quorum": 2},
    "criteria": [
        {"code": "C1", "title": {"uk": "Якість проєкту", "en": "Quality"}, "max_points": 10}
    ],
    "number_prefix": "GR",
}
HEADER = "number;organisation;kind;edrpou;oblast;community;email;title;requested"
# (organisation, oblast, community, requested as typed, points)
APPLICANTS = (
    ("ГО «Перша»", "UA-63", "Харківська міська громада", "60 000,00", 10),
    ("ГО «Друга»", "UA-63", "Харківська міська громада", "50 000", 9),
    ("ГО «Третя»", "UA-14", "Краматорська міська", "45000,5", 8),
    ("ГО «Четверта»", "UA-48", "Вознесенська міська громада", "30 000,50", 7),
    ("ГО «П’ята»", "UA-48", "Вознесенська міська громада", "20000", 6),
)
NUMBERS = tuple(f"GR-2026-{n:03d}" for n in range(1, 6))


def code(n: int) -> str:
    return edrpou.complete(f"{3300000 + n:07d}")


def applications_csv(rows=APPLICANTS, *, amounts: bool = True) -> str:
    """The applications file; without ``amounts``, no column ``requested``."""
    lines = [HEADER if amounts else HEADER.removesuffix(";requested")]
    for n, (name, oblast, community, requested, _points) in enumerate(rows, start=1):
        line = f";{name};ngo;{code(n)};{oblast};{community};ngo{n}@example.org;Проєкт {n}"
        lines.append(f"{line};{requested}" if amounts else line)
    return "\n".join(lines) + "\n"


def scores_csv(rows=APPLICANTS) -> str:
    lines = ["application,juror,criterion,score,comment,juror_name"]
    for juror, name in zip(JURORS, ("Олена Коваленко", "Андрій Мельник"), strict=True):
        for number, row in zip(NUMBERS, rows, strict=True):
            lines.append(f"{number},{juror},C1,{row[4]},,{name}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Grants:
    contest_id: int
    slug: str = SLUG
    numbers: tuple[str, ...] = NUMBERS


def grant_contest(app, runner, build, tmp_path, document=DOCUMENT, rows=APPLICANTS) -> Grants:
    """The contest of the module's docstring (or of five other ``rows`` like
    ``APPLICANTS``), imported through the commands, in judging with a chair and the
    meeting's details entered (what publication needs)."""
    build.user(Role.ORGANISER, email=ORGANISER, name="Оксана Гнатюк")
    files = {
        "contest.json": json.dumps(document, ensure_ascii=False),
        "applications.csv": applications_csv(rows, amounts="fund" in document),
        "scores.csv": scores_csv(rows),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for args in (
        ["import-contest", str(tmp_path / "contest.json"), "--organiser", ORGANISER],
        ["import-applications", SLUG, str(tmp_path / "applications.csv")],
        ["import-scores", SLUG, str(tmp_path / "scores.csv")],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
        chair = db.session.scalar(select(User).where(User.email == JURORS[0]))
        member = db.session.scalar(
            select(JuryMember).where(
                JuryMember.contest_id == contest.id, JuryMember.user_id == chair.id
            )
        )
        member.is_chair = True
        contest.stage = Stage.JUDGING
        record_meeting(contest)
        db.session.commit()
        return Grants(contest.id)


def set_stage(app, contest_id: int, stage: Stage) -> None:
    with app.app_context():
        db.session.get(Contest, contest_id).stage = stage
        db.session.commit()
