"""The quorum is capped by the jury's size, never by who has submitted (SPEC §6.1).

The example of issue 13: quorum 2, a jury of three, one juror's sheets in. Nothing may be
ranked, no winner named, and publication is refused — on the command line, on the
deliberation page and on the stage page.
"""

import json

from scoring.extensions import db
from scoring.models import Contest, Role, SheetState, Stage

from ._judging import judged_contest, set_sheet


def _one_juror_scored(app, build, stage=Stage.DELIBERATION):
    jurors = [build.user(Role.JUROR, name=f"Juror {i}") for i in range(3)]
    judged = judged_contest(app, build, jurors, stage=stage, quorum=2, winners=2)
    c = judged.criteria
    for i, number in enumerate(judged.numbers):
        set_sheet(
            app,
            jurors[0],
            number,
            state=SheetState.SUBMITTED,
            points={c["C1"]: str(5 + i), c["C2"]: "5", c["C3"]: "2.5"},
        )
    with app.app_context():
        organiser = db.session.get(Contest, judged.contest_id).organisers[0]
        return judged, organiser.email


def test_one_jurors_sheets_rank_nothing_on_the_command_line(app, build, runner):
    judged, _organiser = _one_juror_scored(app, build)
    result = runner.invoke(args=["rank", judged.slug, "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["ranking"] == []
    assert [item["number"] for item in document["not_ranked"]] == judged.numbers
    assert all("1 з 2" in item["reason"] for item in document["not_ranked"])


def test_the_deliberation_page_ranks_nothing_and_publication_is_refused(app, build, client):
    judged, organiser = _one_juror_scored(app, build)
    client.login(organiser)
    page = client.get(f"/manage/contests/{judged.slug}/ranking").get_data(as_text=True)
    assert "Жодна заявка ще не має місця в рейтингу." in page
    not_ranked = page.split("Поза рейтингом", 1)[1]
    for number in judged.numbers:
        assert f"{number} " in not_ranked
    assert not_ranked.count("замало оцінок: 1 з 2 необхідних") == len(judged.numbers)

    stage_page = client.get(f"/manage/contests/{judged.slug}/stage?to=published")
    text = stage_page.get_data(as_text=True)
    assert "Жодна заявка ще не має місця в рейтингу: оприлюднювати нічого." in text
    response = client.submit(f"/manage/contests/{judged.slug}/stage", {"to": "published"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Contest, judged.contest_id).stage == Stage.DELIBERATION


def test_a_second_jurors_sheets_reach_the_quorum(app, build, runner):
    judged, _organiser = _one_juror_scored(app, build)
    c = judged.criteria
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        second = sorted(m.user_id for m in contest.jury)[1]
    set_sheet(
        app,
        second,
        judged.numbers[0],
        state=SheetState.SUBMITTED,
        points={c["C1"]: "9", c["C2"]: "9", c["C3"]: "5"},
    )
    document = json.loads(runner.invoke(args=["rank", judged.slug, "--format", "json"]).output)
    assert [(r["number"], r["jurors"]) for r in document["ranking"]] == [(judged.numbers[0], 2)]
    assert [item["number"] for item in document["not_ranked"]] == judged.numbers[1:]
