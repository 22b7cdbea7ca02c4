"""Rounds (SPEC §13), what people see of them: publishing a round that has a next round
advances its winners (a tie at the cut decided by the commission), tells every
applicant by e-mail and on their page, and words the results as a shortlist; the last
round's results say how the final score was formed. The contest of ``tests/_rounds.py``.
"""

import io
import json
import re
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from scoring import rounds as round_rules
from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    AuditEntry,
    Category,
    Contest,
    Question,
    Stage,
    User,
)

from ._rounds import (
    FIRST_TITLE,
    NAMES,
    SECOND_TITLE,
    score_second_round,
    second_round_applications,
    signed_in,
    two_rounds,
)
from ._shown import results_tables, shows, visible_text


def _text(html: str) -> str:
    html = re.sub(r"<(script|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _in_english(app):
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        db.session.commit()


def _decide_tie(organiser, rounds, winner="c", category=""):
    response = organiser.submit(
        f"/manage/contests/{rounds.first}/ties/2" + (f"?category={category}" if category else ""),
        {"winners": [str(rounds.ids[winner])], "reason": "Голосування комісії: 3 проти 2."},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def _publish(organiser, slug):
    response = organiser.change_stage(slug, "published")
    assert response.status_code == 302, response.get_data(as_text=True)


def _mails(outbox) -> dict[str, str]:
    return {m["To"].addresses[0].addr_spec: m.get_body(("plain",)).get_content() for m in outbox()}


def test_the_tie_at_the_cut_is_decided_then_publication_advances_the_winners(app, build):
    rounds = two_rounds(app, build)
    organiser = signed_in(app, rounds.organiser)
    stage = _text(organiser.get(f"/manage/contests/{rounds.first}/stage?to=published").text)
    assert f"The applications {rounds.numbers['b']}, {rounds.numbers['c']} are tied at place 2" in (
        stage
    )
    refused = organiser.change_stage(rounds.first, "published")
    assert refused.status_code == 200
    assert second_round_applications(app, rounds) == {}

    _decide_tie(organiser, rounds, "c")
    # The stage page says who advances, and what follows, before the organiser confirms.
    stage = _text(organiser.get(f"/manage/contests/{rounds.first}/stage?to=published").text)
    assert (
        f"2 applications advance to round 2 «{SECOND_TITLE}» and get their applications "
        "there. From then on the results of this round cannot be reopened." in stage
    )
    assert f"{rounds.numbers['a']}, {rounds.numbers['c']}" in stage
    _publish(organiser, rounds.first)

    advanced = second_round_applications(app, rounds)
    assert sorted(advanced) == ["a", "c"]  # the winner, and the commission's choice
    for key, application in advanced.items():
        # No form of its own in the second round: submitted, numbered as submissions are.
        assert application.state == ApplicationState.SUBMITTED
        assert application.title == f"Проєкт {NAMES[key]}"
        assert application.previous_id == rounds.ids[key]
    assert sorted(a.number for a in advanced.values()) == ["KR2-2026-001", "KR2-2026-002"]
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "application.advanced")
        ).all()
        assert sorted(e.details["previous"] for e in entries) == sorted(
            [rounds.ids["a"], rounds.ids["c"]]
        )
        assert {e.contest_id for e in entries} == {rounds.second_id}
        # Publishing again (after a reopening) duplicates nothing.
        first = db.session.get(Contest, rounds.first_id)
        assert round_rules.advance(first, None) == []
        assert (
            db.session.scalar(
                select(db.func.count()).where(Application.contest_id == rounds.second_id)
            )
            == 2
        )

    # The organiser sees the new applications in the second round's list, each linked to
    # its application of the first round; nobody wins a diploma in the first round.
    listing = _text(organiser.get(f"/manage/contests/{rounds.second}/applications").text)
    assert NAMES["a"] in listing and NAMES["c"] in listing and NAMES["b"] not in listing
    shown = organiser.get(f"/manage/contests/{rounds.second}/applications/{advanced['c'].number}")
    assert f"Continues the application of round 1 «{FIRST_TITLE}»: {rounds.numbers['c']}" in _text(
        shown.text
    )
    certificate = f"/manage/contests/{rounds.first}/certificates/{rounds.numbers['a']}.pdf"
    assert organiser.get(certificate).status_code == 404

    # The public results (in Ukrainian): a shortlist for the next round, the round's own
    # scores only.
    public = app.test_client().get(f"/contests/{rounds.first}/results").text
    text = _text(public)
    assert f"Результати: Тур 1 «{FIRST_TITLE}»" in text
    assert (
        f"Конкурс оцінюють у 2 тури: тур 1 «{FIRST_TITLE}», тур 2 «{SECOND_TITLE}». Заявки, "
        f"що перемогли в турі 1, проходять до туру 2 «{SECOND_TITLE}»." in text
    )
    caption, shortlist = results_tables(public, "Номер")[0]
    assert caption == f"Проходять до туру 2 «{SECOND_TITLE}»"
    assert [(r["Номер"], r["Бал"]) for r in shortlist] == [
        (rounds.numbers["a"], "25,00"),
        (rounds.numbers["c"], "20,00"),
    ]
    assert "Бал туру" not in public and ">Переможці<" not in public
    ranked = dict(results_tables(public, "Номер"))["Усі заявки в рейтингу"]
    assert [r["badges"] for r in ranked] == [["Проходить далі"], [], ["Проходить далі"], []]

    # The results of the first round can no longer be reopened: the stage page says why.
    page = _text(organiser.get(f"/manage/contests/{rounds.first}/stage?to=deliberation").text)
    assert (
        f"Those who advanced from this round already have their applications in the next "
        f"round «{SECOND_TITLE}»: the results of this round can no longer be reopened." in page
    )
    refused = organiser.change_stage(rounds.first, "deliberation", reason="Скарга")
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.get(Contest, rounds.first_id).stage == Stage.PUBLISHED


def test_applicants_are_told_whether_they_advance(app, build, outbox):
    rounds = two_rounds(app, build)
    _in_english(app)
    organiser = signed_in(app, rounds.organiser)
    _decide_tie(organiser, rounds, "c")
    _publish(organiser, rounds.first)
    advanced = second_round_applications(app, rounds)
    mails = _mails(outbox)
    a, b, c, d = (mails[rounds.applicants[key]] for key in "abcd")
    assert f"Advances to round 2 «{SECOND_TITLE}»: place 1 among those who advance" in a
    assert f"Advances to round 2 «{SECOND_TITLE}»: place 2 among those who advance" in c
    number = advanced["c"].number
    assert (
        f"Your application in round 2 «{SECOND_TITLE}» is submitted under the number {number}"
    ) in c
    assert f"http://127.0.0.1:5000/applications/{number}" in c
    assert "diploma" not in a + c
    assert "Those who advance to the next round" in a
    assert "Does not advance to round 2: place 2 in the ranking" in b
    assert "Does not advance to round 2: place 4 in the ranking" in d
    for text, key in ((b, "b"), (d, "d")):
        assert "The jury’s feedback on your application is on its page" in text
        assert f"http://127.0.0.1:5000/applications/{rounds.numbers[key]}/feedback.pdf" in text
        assert "Advances" not in text


def test_with_a_form_of_its_own_the_next_round_waits_for_the_applicant_to_fill_it_in(
    app, build, outbox
):
    rounds = two_rounds(app, build, form=True)
    _in_english(app)
    organiser = signed_in(app, rounds.organiser)
    _decide_tie(organiser, rounds, "c")
    _publish(organiser, rounds.first)
    advanced = second_round_applications(app, rounds)
    draft = advanced["a"]
    assert draft.state == ApplicationState.DRAFT and draft.number is None
    assert draft.title == f"Проєкт {NAMES['a']}"

    mail = _mails(outbox)[rounds.applicants["a"]]
    assert f"The results of round 1 «{FIRST_TITLE}» of the contest" in mail
    assert f"Round 2 «{SECOND_TITLE}» has its own form: fill it in and submit it by" in mail
    assert f"http://127.0.0.1:5000/applications/draft/{draft.id}" in mail

    a = signed_in(app, rounds.applicants["a"])
    # The first round's page: the result, and the way to the next round's form.
    first = _text(a.get(f"/applications/{rounds.numbers['a']}").text)
    assert "Advances" in first and f"Advances to round 2 «{SECOND_TITLE}»" in first
    assert "Fill in the form of round 2" in first
    assert "Your application in round 2 is a draft: complete it and submit it by" in first
    assert "Download the winner’s diploma" not in first
    assert a.get(f"/applications/{rounds.numbers['a']}/certificate.pdf").status_code == 404
    # The next round's form: where it comes from, by when, the earlier answers a link away.
    page = a.get(f"/applications/draft/{draft.id}")
    assert page.status_code == 200
    text = _text(page.text)
    assert f"Your application advanced from round 1 «{FIRST_TITLE}»" in text
    assert "Plan of activities" in text
    assert f'href="/applications/{rounds.numbers["a"]}"' in page.text
    assert "Ідея першого туру a" in a.get(f"/applications/{rounds.numbers['a']}").text

    # Filled in and submitted: numbered in the second round, linked to the first.
    with app.app_context():
        question = db.session.scalar(
            select(Question.id).where(Question.contest_id == rounds.second_id)
        )
    response = a.submit(
        f"/applications/draft/{draft.id}",
        {"action": "submit", "title": draft.title, f"q-{question}": "Три зустрічі з мешканцями."},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    submitted = second_round_applications(app, rounds)["a"]
    assert submitted.state == ApplicationState.SUBMITTED and submitted.number == "KR2-2026-001"
    shown = a.get(f"/applications/{submitted.number}")
    assert f"Continues the application of round 1 «{FIRST_TITLE}»: {rounds.numbers['a']}" in _text(
        shown.text
    )
    # Another applicant sees neither.
    b = signed_in(app, rounds.applicants["b"])
    assert b.get(f"/applications/draft/{draft.id}").status_code == 404
    assert b.get(f"/applications/{submitted.number}").status_code == 404
    first_b = _text(b.get(f"/applications/{rounds.numbers['b']}").text)
    assert "Does not advance to round 2: place 2 in the ranking" in first_b
    assert "Fill in the form" not in first_b


def test_a_round_is_not_published_when_those_who_advance_could_not_fill_the_next_form(
    app, build, clock_at
):
    rounds = two_rounds(app, build, form=True)
    with app.app_context():
        second = db.session.get(Contest, rounds.second_id)
        second.closes_at = second.opens_at + timedelta(hours=1)  # passed already
        db.session.commit()
    organiser = signed_in(app, rounds.organiser)
    _decide_tie(organiser, rounds, "c")
    page = _text(organiser.get(f"/manage/contests/{rounds.first}/stage?to=published").text)
    assert f"The next round «{SECOND_TITLE}» has its own form, and its deadline" in page
    assert organiser.change_stage(rounds.first, "published").status_code == 200
    assert second_round_applications(app, rounds) == {}


def test_the_final_round_combines_the_rounds_40_60_and_says_so(app, build):
    rounds = two_rounds(app, build, weights=(40, 60))
    organiser = signed_in(app, rounds.organiser)
    _decide_tie(organiser, rounds, "c")
    _publish(organiser, rounds.first)

    # The first round's results: a shortlist on the round's own scores (what each
    # carries into the final score shows in the second round).
    page = organiser.get(f"/contests/{rounds.first}/results").text
    text = _text(page)
    assert f"Results: Round 1 «{FIRST_TITLE}»" in text
    assert f"Advance to round 2 «{SECOND_TITLE}»" in text and ">Winners<" not in page
    assert "Final score: 40% of the score of round 1, 60% of the score of round 2." in text
    caption, advancing = results_tables(page)[0]
    assert [(r["Number"], r["Score"]) for r in advancing] == [
        (rounds.numbers["a"], "25.00"),
        (rounds.numbers["c"], "20.00"),
    ]
    assert "Round score" not in text

    score_second_round(app, rounds)
    # The organisers deliberate on the combined score, the round's own beside it.
    deliberation = _text(organiser.get(f"/manage/contests/{rounds.second}/ranking").text)
    assert "Round score Final score" in deliberation
    assert re.search(r"1 KR2-2026-001 ГО «Альфа».*? 18\.00 83\.20 ", deliberation)
    assert re.search(r"2 KR2-2026-002 ГО «Гамма».*? 20\.00 80\.00 ", deliberation)
    _publish(organiser, rounds.second)
    page = organiser.get(f"/contests/{rounds.second}/results").text
    text = _text(page)
    assert f"Results: Round 2 «{SECOND_TITLE}»" in text
    assert f"round 1 «{FIRST_TITLE}», round 2 «{SECOND_TITLE}»" in text
    assert "Final score: 40% of the score of round 1, 60% of the score of round 2." in text
    tables = dict(results_tables(page))
    ranked = tables["All ranked applications"]
    # C scored more in this round (20 against 18 of 25), A wins on the rounds combined:
    # 40 % × 25/25 + 60 % × 18/25 = 83,2 against 40 % × 20/25 + 60 % × 20/25 = 80.
    advanced = second_round_applications(app, rounds)
    assert [(r["Number"], r["Round score"], r["Final score"]) for r in ranked] == [
        (advanced["a"].number, "18.00", "83.20"),
        (advanced["c"].number, "20.00", "80.00"),
    ]
    assert ranked[0]["badges"] == ["Winner"]

    api = json.loads(organiser.get(f"/api/contests/{rounds.second}/results?lang=en").text)
    assert [(r["number"], r["round_score"], r["score"], r["winner"]) for r in api["ranking"]] == [
        (advanced["a"].number, "18.00", "83.20", True),
        (advanced["c"].number, "20.00", "80.00", False),
    ]
    assert api["round"] == {
        "number": 2,
        "advancing": False,
        "combined": True,
        "summary": (
            f"The contest is judged in 2 rounds: round 1 «{FIRST_TITLE}», round 2 "
            f"«{SECOND_TITLE}». Final score: 40% of the score of round 1, 60% of the score "
            "of round 2."
        ),
    }

    # The applicants see both scores of their own application.
    a = _text(
        signed_in(app, rounds.applicants["a"]).get(f"/applications/{advanced['a'].number}").text
    )
    assert (
        "Winner: place 1 among the winners, score 18.00 in this round, 83.20 in the final score"
        in a
    )
    assert f"Continues the application of round 1 «{FIRST_TITLE}»: {rounds.numbers['a']}" in a
    c = _text(
        signed_in(app, rounds.applicants["c"]).get(f"/applications/{rounds.numbers['c']}").text
    )
    advances = f"Advances to round 2 «{SECOND_TITLE}»: place 2 among those who advance, "
    assert f"{advances}score 20.00" in c  # the first round's own score alone
    assert "in the final score" not in c.partition(advances)[2][:100]

    export = organiser.get(f"/manage/contests/{rounds.second}/ranking.xlsx")
    sheet = load_workbook(io.BytesIO(export.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    round_column, combined_column = rows[0].index("Round score"), rows[0].index("Combined score")
    assert [(r[1], float(r[round_column]), float(r[combined_column])) for r in rows[1:]] == [
        (advanced["a"].number, 18.0, 83.2),
        (advanced["c"].number, 20.0, 80.0),
    ]

    announcement = organiser.get(f"/contests/{rounds.second}/results.pdf?lang=en")
    pdf = visible_text(announcement)
    for words in (
        f"Round 2 «{SECOND_TITLE}»",
        "Final score: 40% of the score of round 1, 60% of the score of round 2.",
        "Round score",
        "Final score",
        "18.00",
        "83.20",
    ):
        assert shows(pdf, words), words
    first_pdf = visible_text(organiser.get(f"/contests/{rounds.first}/results.pdf?lang=en"))
    assert shows(first_pdf, f"Advance to round 2 «{SECOND_TITLE}»")
    assert shows(first_pdf, "Advances") and not shows(first_pdf, "Winners")
    protocol = visible_text(organiser.get(f"/manage/contests/{rounds.first}/protocol.pdf?lang=en"))
    assert shows(protocol, "Admit to the next round:")
    assert shows(protocol, "those who advance to the next round")


def test_the_category_and_the_amount_requested_go_with_those_who_advance(app, build):
    rounds = two_rounds(app, build)
    with app.app_context():
        first = db.session.get(Contest, rounds.first_id)
        second = db.session.get(Contest, rounds.second_id)
        small = Category(code="M", title_uk="Малі гранти", winners=2, fund=Decimal(1_000_000))
        first.categories = [small]
        second.categories = [
            Category(code="V", title_uk="Великі гранти", winners=1, position=0),
            Category(
                code="M", title_uk="Малі гранти", winners=1, fund=Decimal(500_000), position=1
            ),
        ]
        for application in db.session.scalars(
            select(Application).where(Application.contest_id == first.id)
        ):
            application.category = small
            application.requested = Decimal("48000.50")
        db.session.commit()
        second_small = next(c.id for c in second.categories if c.code == "M")
    organiser = signed_in(app, rounds.organiser)
    _decide_tie(organiser, rounds, "c", category="M")
    _publish(organiser, rounds.first)
    advanced = second_round_applications(app, rounds)
    assert sorted(advanced) == ["a", "c"]
    for application in advanced.values():
        assert application.category_id == second_small
        assert application.requested == Decimal("48000.50")


def test_the_deliberation_of_a_round_others_follow_speaks_of_those_who_advance(app, build):
    rounds = two_rounds(app, build)
    organiser = signed_in(app, rounds.organiser, "uk")
    _decide_tie(organiser, rounds, "c")
    page = _text(organiser.get(f"/manage/contests/{rounds.first}/ranking").text)
    assert "Стійкість тих, хто проходить далі" in page
    assert "Чи змінився б склад тих, хто проходить далі" in page
    assert "Оцінки за критеріями тих, хто проходить далі" in page
    assert "переможц" not in page.lower() and "переможець" not in page.lower()
    # The last round keeps its winners.
    _publish(organiser, rounds.first)
    score_second_round(app, rounds)
    last = _text(organiser.get(f"/manage/contests/{rounds.second}/ranking").text)
    assert "Стійкість переможців" in last and "Оцінки переможців за критеріями" in last
    assert "проходить далі" not in last
