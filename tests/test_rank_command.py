"""`flask rank SLUG` on the demo contest: SPEC §9 formats, read from the database."""

import csv
import io
import json

import pytest

from scoring.extensions import db
from scoring.models import Application, Contest, Decision, DecisionKind, Stage


@pytest.fixture
def slug(app, demo_loaded) -> str:
    """The demo's contest in judging."""
    with app.app_context():
        return db.session.scalar(db.select(Contest.slug).where(Contest.stage == Stage.JUDGING))


def test_rank_json_has_the_spec_shape_and_the_demo_tie_at_the_last_place(runner, app, slug):
    result = runner.invoke(args=["rank", slug, "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["contest"] == slug and document["winners"] == 5
    rows = document["ranking"]
    assert len(rows) == 12 and document["not_ranked"] == []
    assert set(rows[0]) == {
        "rank",
        "number",
        "organisation",
        "oblast",
        "score",
        "jurors",
        "tie",
        "divergent",
        "winner",
        "note",
    }
    assert [r["rank"] for r in rows[:7]] == [1, 2, 3, 4, 5, 5, 7]
    assert [r["winner"] for r in rows[:7]] == [True, True, True, True, None, None, False]
    assert rows[4]["score"] == rows[5]["score"] == "45.50"
    assert "рішення комісії" in rows[4]["note"]
    assert rows[0] == {
        "rank": 1,
        "number": rows[0]["number"],
        "organisation": "Балаклійська міська рада",
        "oblast": "UA-63",
        "score": "60.50",
        "jurors": 2,
        "tie": False,
        "divergent": False,
        "winner": True,
        "note": "",
    }


def test_a_recorded_decision_settles_the_tie(runner, app, slug):
    ranking = json.loads(runner.invoke(args=["rank", slug, "--format", "json"]).output)
    tied = [r["number"] for r in ranking["ranking"] if r["winner"] is None]
    with app.app_context():
        contest_id = db.session.scalar(db.select(Contest.id).where(Contest.slug == slug))
        chosen = db.session.scalar(db.select(Application.id).where(Application.number == tied[1]))
        db.session.add(
            Decision(
                contest_id=contest_id,
                kind=DecisionKind.TIE,
                winner_ids=[chosen],
                reason="Голосування комісії 4:3",
            )
        )
        db.session.commit()
    rows = json.loads(runner.invoke(args=["rank", slug, "--format", "json"]).output)["ranking"]
    by_number = {r["number"]: r for r in rows}
    assert by_number[tied[1]]["winner"] is True and by_number[tied[0]]["winner"] is False
    assert "вирішено" in by_number[tied[0]]["note"]
    assert sum(r["winner"] is True for r in rows) == 5


def test_rank_csv_and_table(runner, app, slug):
    result = runner.invoke(args=["rank", slug, "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == [
        "rank",
        "number",
        "organisation",
        "oblast",
        "score",
        "jurors",
        "tie",
        "divergent",
        "winner",
        "note",
    ]
    assert (rows[0]["winner"], rows[4]["winner"], rows[4]["tie"]) == ("true", "", "true")
    table = runner.invoke(args=["rank", slug]).output
    assert table.splitlines()[0].split()[:3] == ["Місце", "Номер", "Організація"]
    assert "Балаклійська міська рада" in table and "не вирішено" in table


def test_rank_of_an_unknown_contest_fails_clearly(runner):
    result = runner.invoke(args=["rank", "no-such-contest"])
    assert result.exit_code == 1
    assert "Немає конкурсу з адресою «no-such-contest»" in result.output
