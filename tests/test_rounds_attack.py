"""Rounds (SPEC §13) attacked from outside: what nobody may do with a two-round contest."""

import re
from decimal import Decimal

from sqlalchemy import select

from scoring.extensions import db
from scoring.models import (
    Aggregation,
    Application,
    Category,
    Contest,
    Normalise,
    Scoresheet,
    Stage,
    User,
)

from ._rounds import (
    SECOND_TITLE,
    score_second_round,
    second_round_applications,
    signed_in,
    two_rounds,
)
from ._shown import shows, visible_text


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _second_round(app, rounds) -> list[Application]:
    with app.app_context():
        found = db.session.scalars(
            select(Application).where(Application.contest_id == rounds.second_id)
        ).all()
        db.session.expunge_all()
    return found


REFUSED = (
    "only the applicants who advanced from the round before take part in it; their "
    "applications are created when that round's results are published."
)


def test_nobody_starts_an_application_in_a_later_round_without_advancing(app, build):
    """The second round is open (its own deadline), yet only those who advance from the
    first round take part: neither the page nor a forged POST starts a draft there. Before
    the fix any applicant could, and a winner who had done so was then not advanced (the
    organisation had an application already), its first-round score lost."""
    rounds = two_rounds(app, build, form=True)
    build.applicant(email="outsider@rounds.example", name="ГО «Стороння»")
    for email in (rounds.applicants["a"], rounds.applicants["d"], "outsider@rounds.example"):
        applicant = signed_in(app, email)
        page = _text(applicant.get(f"/contests/{rounds.second}").text)
        assert REFUSED in page
        assert (
            f'action="/contests/{rounds.second}/apply"'
            not in applicant.get(f"/contests/{rounds.second}").text
        )
        response = applicant.submit(f"/contests/{rounds.second}/apply", follow_redirects=True)
        assert REFUSED in _text(response.text)
    assert _second_round(app, rounds) == []
    # Nor is an anonymous visitor told to register to apply.
    anonymous = _text(app.test_client().get(f"/contests/{rounds.second}").text)  # Ukrainian
    assert "Щоб подати заявку, увійдіть або зареєструйте організацію." not in anonymous
    assert "у ньому беруть участь лише заявники, які пройшли з попереднього туру" in anonymous
    assert "Check the organisation’s details" not in page

    # Round 1 published: A and the commission's choice advance, each linked to its
    # first-round application; D still cannot join.
    organiser = signed_in(app, rounds.organiser)
    response = organiser.submit(
        f"/manage/contests/{rounds.first}/ties/2",
        {"winners": [str(rounds.ids["c"])], "reason": "Голосування комісії."},
    )
    assert response.status_code == 302
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    advanced = second_round_applications(app, rounds)
    assert sorted(advanced) == ["a", "c"]
    assert advanced["a"].previous_id == rounds.ids["a"]
    loser = signed_in(app, rounds.applicants["d"])
    loser.submit(f"/contests/{rounds.second}/apply")
    assert len(_second_round(app, rounds)) == 2


def _set(app, contest_id, **values):
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        for name, value in values.items():
            setattr(contest, name, value)
        db.session.commit()


def _decide_and_publish_first(app, rounds):
    organiser = signed_in(app, rounds.organiser)
    response = organiser.submit(
        f"/manage/contests/{rounds.first}/ties/2",
        {"winners": [str(rounds.ids["c"])], "reason": "Голосування комісії."},
    )
    assert response.status_code == 302
    return organiser


SHARES = "The rounds' shares of the final score must add up to 100 percent."
SUMS = (
    "Rounds whose score is the sum of the jurors' totals cannot be combined into a final "
    "score (a sum has no maximum): choose another aggregation or no shares."
)


def test_shares_that_do_not_add_up_to_100_are_not_published(app, build):
    """40 % and 40 % (as the database may hold them): before the fix the last round was
    published with «Final score: 40% … 40% …», its final scores out of 80."""
    rounds = two_rounds(app, build, weights=(40, 60))
    _set(app, rounds.second_id, round_weight=Decimal(40))
    organiser = _decide_and_publish_first(app, rounds)
    refused = organiser.change_stage(rounds.first, "published")
    assert refused.status_code == 200 and SHARES in _text(refused.text)
    _set(app, rounds.second_id, round_weight=Decimal(60))
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    score_second_round(app, rounds)
    _set(app, rounds.second_id, round_weight=Decimal(40))
    refused = organiser.change_stage(rounds.second, "published")
    assert refused.status_code == 200 and SHARES in _text(refused.text)
    assert app.test_client().get(f"/api/contests/{rounds.second}/results").status_code == 404


def test_a_round_scored_as_a_sum_is_not_combined_into_a_final_score(app, build):
    """A first round whose aggregation is «sum», 40/60: before the fix the second round
    was published with A's final score 123.20 (40 × 50/25 + 43.2) «out of 100»."""
    rounds = two_rounds(app, build, weights=(40, 60), aggregation=Aggregation.SUM)
    organiser = _decide_and_publish_first(app, rounds)
    refused = organiser.change_stage(rounds.first, "published")
    assert refused.status_code == 200 and SUMS in _text(refused.text)
    _set(app, rounds.first_id, aggregation=Aggregation.MEAN)
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    score_second_round(app, rounds)
    _set(app, rounds.first_id, aggregation=Aggregation.SUM)
    # The organisers' ranking shows no combination it cannot make (no English error
    # from the engine either), and publication says why.
    ranking = _text(organiser.get(f"/manage/contests/{rounds.second}/ranking").text)
    assert "123.20" not in ranking and "cannot be computed" not in ranking
    refused = organiser.change_stage(rounds.second, "published")
    assert refused.status_code == 200 and SUMS in _text(refused.text)


CATEGORIES = (
    "The next round «{title}» ranks the applications by categories, and these applications "
    "that advance would have none of them: {numbers}. Give the next round the categories of "
    "this round (with the same codes)."
)


def test_a_round_is_not_published_when_those_who_advance_would_have_no_category_next(app, build):
    """Round 1 without categories, round 2 with one: before the fix A and C advanced
    (and B) without a category, and round 2's ranking page said only «application KR2-2026-001
    is in unknown category None» (in English), the round never publishable."""
    rounds = two_rounds(app, build, winners=3)  # A, B and C, no tie
    with app.app_context():
        second = db.session.get(Contest, rounds.second_id)
        second.categories = [Category(code="X", title_uk="Ікс", winners=1)]
        db.session.commit()
    organiser = signed_in(app, rounds.organiser)
    refused = organiser.change_stage(rounds.first, "published")
    assert refused.status_code == 200
    numbers = ", ".join(rounds.numbers[k] for k in "abc")
    assert CATEGORIES.format(title=SECOND_TITLE, numbers=numbers) in _text(refused.text)
    assert _second_round(app, rounds) == []
    with app.app_context():
        assert db.session.get(Contest, rounds.first_id).stage == Stage.DELIBERATION


ZSCORES = (
    "Rounds scored with the z-score normalisation cannot be combined into a final score (a "
    "normalised score can go beyond the round's maximum, and a round would give more than its "
    "share): switch the normalisation off or give no shares."
)


def test_a_round_normalised_by_z_scores_is_not_combined_into_a_final_score(app, build):
    """Round 1 z-scored, 40/60; juror 1 gives B, C and D 5 of 25, juror 2 gives them 20, both
    give A 25: A's normalised score maps to about 30,3 of 25. Before the fix round 1 carried
    48,5 points of its 40 and A, with 25 of 25 in round 2, was published with a final score
    of 102,47 «out of 100»."""
    rounds = two_rounds(app, build, weights=(40, 60), normalise=Normalise.ZSCORE, winners=3)
    with app.app_context():
        juror = db.session.scalar(select(User.id).where(User.email == "j1@rounds.example"))
        for key in "bcd":
            sheet = db.session.scalar(
                select(Scoresheet).where(
                    Scoresheet.application_id == rounds.ids[key], Scoresheet.juror_id == juror
                )
            )
            for score in sheet.scores:
                score.points = Decimal(2)
        db.session.commit()
    organiser = signed_in(app, rounds.organiser)
    refused = organiser.change_stage(rounds.first, "published")
    assert refused.status_code == 200 and ZSCORES in _text(refused.text)
    assert _second_round(app, rounds) == []


def test_an_applicant_who_advances_from_a_round_with_a_fund_is_not_told_of_an_award(app, build):
    """Round 1 with a fund (a round's set-up copies the fund): before the fix the page of
    an application that only advanced said «Amount awarded: 40,000.00 UAH» (its e-mail
    rightly did not), and the public results showed the amounts «awarded» and the fund's
    balance for a shortlist. A round that others follow ranks by the scores alone: a
    request larger than the fund advances too; the money is the last round's."""
    rounds = two_rounds(app, build, fund=Decimal(100_000), winners=3)
    with app.app_context():
        for application in db.session.scalars(
            select(Application).where(Application.contest_id == rounds.first_id)
        ):
            application.requested = Decimal(40_000)
        db.session.commit()
    organiser = signed_in(app, rounds.organiser)
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    page = _text(
        signed_in(app, rounds.applicants["a"]).get(f"/applications/{rounds.numbers['a']}").text
    )
    assert f"Advances to round 2 «{SECOND_TITLE}»: place 1 among those who advance" in page
    assert "Amount awarded" not in page
    public = _text(app.test_client().get(f"/contests/{rounds.first}/results").text)
    assert "Проходять до туру 2" in public  # the page in Ukrainian
    assert "Надано" not in public and "Фонд" not in public
    # Three advance although their requests (3 × 40 000) pass the fund of 100 000.
    assert len(_second_round(app, rounds)) == 3


def test_when_nobody_advances_the_results_say_so(app, build, outbox):
    """A minimum total nobody reaches: the results of round 1 said «No application won.»
    (page) and «No winner is determined yet.» (the published announcement) under «Advance
    to round 2»; every applicant is told they do not advance, and round 2 stays empty."""
    rounds = two_rounds(app, build, min_total=Decimal(26))
    organiser = signed_in(app, rounds.organiser)
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    assert _second_round(app, rounds) == []
    page = _text(organiser.get(f"/contests/{rounds.first}/results").text)  # in English
    heading = f"Advance to round 2 «{SECOND_TITLE}»"
    assert f"{heading} No application advances." in page
    assert "No application won" not in page
    pdf = visible_text(app.test_client().get(f"/contests/{rounds.first}/results.pdf?lang=en"))
    assert shows(pdf, "No application advances.") and not shows(pdf, "No winner is determined")
    mails = {m["To"].addresses[0].addr_spec: m.get_body(("plain",)).get_content() for m in outbox()}
    assert sorted(mails) == sorted(rounds.applicants.values())
    assert all("Не проходить до туру 2" in body for body in mails.values())


def test_an_upheld_appeal_on_a_round_that_advanced_does_not_offer_a_reopening(app, build):
    """Round 1 allows appeals; B, who lost the tie at the cut, appeals and the commission
    upholds it. Before the fix the appeal's page offered «Reopen the results…», and the
    stage page it led to refused, those who advanced being in round 2 already: the page now
    says so where the button was."""
    rounds = two_rounds(app, build, appeal_days=10)
    organiser = _decide_and_publish_first(app, rounds)
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    b = signed_in(app, rounds.applicants["b"])
    filed = b.submit(
        f"/applications/{rounds.numbers['b']}/appeal",
        {"reason": "Комісія не врахувала мою оцінку за другим критерієм."},
    )
    assert filed.status_code == 302, _text(filed.text)
    appeal = f"/manage/contests/{rounds.first}/appeals/{rounds.numbers['b']}"
    answered = organiser.submit(
        appeal, {"decision": "upheld", "answer": "Комісія визнала скаргу обґрунтованою."}
    )
    assert answered.status_code == 302, _text(answered.text)
    page = organiser.get(appeal).text
    assert "Reopen the results…" not in page
    assert (
        "Those who advanced from this round already have their applications in the next "
        f"round «{SECOND_TITLE}»: the results of this round can no longer be reopened."
        in _text(page)
    )


def test_the_command_line_ranking_of_a_combined_round_prints_both_scores(app, build, runner):
    """`rank <round 2> --format csv` stopped with «ValueError: dict contains fields not in
    fieldnames: 'round_score'» after its header; the table printed the combined score
    alone. Both now give the round's own score beside the combined one (A 18 → 83,2;
    C 20 → 80, SPEC §13 rule 10: 40 × 25/25 + 60 × 18/25 and 40 × 20/25 + 60 × 20/25)."""
    rounds = two_rounds(app, build, weights=(40, 60))
    organiser = _decide_and_publish_first(app, rounds)
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    score_second_round(app, rounds)
    advanced = second_round_applications(app, rounds)
    a, c = advanced["a"].number, advanced["c"].number
    result = runner.invoke(args=["rank", rounds.second, "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("rank,number,organisation,oblast,score,round_score,")
    assert lines[1].startswith(f"1,{a},ГО «Альфа»,UA-63,83.20,18.00,")
    assert lines[2].startswith(f"2,{c},ГО «Гамма»,UA-63,80.00,20.00,")
    excel = runner.invoke(args=["rank", rounds.second, "--excel"])
    assert excel.exit_code == 0, excel.output
    assert f"1;{a};ГО «Альфа»;UA-63;83,20;18,00;" in excel.output
    table = runner.invoke(args=["rank", rounds.second])
    assert table.exit_code == 0, table.output
    assert re.search(rf"1\s+{a}\s+ГО «Альфа»\s+UA-63\s+83\.20\s+18\.00", table.output)
    assert "Бал туру" in table.output.splitlines()[0]


def test_nothing_of_the_second_round_shows_before_it_is_published(app, build):
    """Round 1 published, round 2 judged and in deliberation (A 18 → 83,20 combined): its
    organisers see the scores; its applicant, the applicant who did not advance, the
    jurors of either round and anonymous visitors see nothing of them (pages, API, PDFs)."""
    rounds = two_rounds(app, build, weights=(40, 60))
    organiser = _decide_and_publish_first(app, rounds)
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    score_second_round(app, rounds)
    organiser.change_stage(rounds.second, "judging", reason="Ще одна оцінка")  # audited:
    organiser.change_stage(rounds.second, "deliberation")  # the page caches move on
    a = second_round_applications(app, rounds)["a"].number
    ranking = _text(organiser.get(f"/manage/contests/{rounds.second}/ranking").text)
    assert "83.20" in ranking  # what must not leak
    urls = [
        f"/contests/{rounds.second}/results",
        f"/contests/{rounds.second}/results.pdf",
        f"/api/contests/{rounds.second}/results",
        f"/applications/{a}",
        f"/applications/{a}/feedback.pdf",
        f"/applications/{a}/certificate.pdf",
        f"/applications/{rounds.numbers['a']}",
        "/my/applications",
    ]
    people = {
        "anonymous": app.test_client(),
        "a": signed_in(app, rounds.applicants["a"]),
        "d": signed_in(app, rounds.applicants["d"]),
        "juror of round 1": signed_in(app, "j1@rounds.example"),
        "juror of round 2": signed_in(app, "j3@rounds.example"),
    }
    for who, client in people.items():
        for url in urls:
            response = client.get(url)
            body = response.data.decode("utf-8", "replace")
            if url.endswith(".pdf") or url.startswith("/api/"):
                assert response.status_code in (302, 403, 404), (who, url)
            for shown in ("83.20", "83,20", "18.00", "18,00", "Round score", "Бал туру"):
                assert shown not in body, (who, url, shown)


def test_a_loop_written_into_the_chain_by_hand_does_not_hang_the_pages(app, build):
    """Rounds are only added after the last, so no page makes a loop; one written into
    the database by hand (round 1 naming round 2 as the round before it) made every page
    of either round follow the chain for ever (a request that never returned, its memory
    growing). The chain is cut where it comes back. An alarm fails the test instead of
    letting it hang should that come back."""
    import signal

    rounds = two_rounds(app, build, weights=(40, 60))
    _set(app, rounds.first_id, previous_round_id=rounds.second_id)

    def stuck(_signal, _frame):
        raise AssertionError("the chain of rounds was followed for ever")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(20)
    try:
        organiser = signed_in(app, rounds.organiser)
        for slug in (rounds.first, rounds.second):
            assert organiser.get(f"/manage/contests/{slug}").status_code == 200
            assert organiser.get(f"/contests/{slug}").status_code == 200
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
