"""After publication the applicant learns their own result and the jury's feedback (SPEC
§14), and nothing of anyone else's: the stories of ``tests/_outcome.py``'s contest.
"""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Application, Contest, Feedback, Score, Scoresheet, User
from scoring.results.disclosure import anonymous_order

from ._outcome import (
    COMMENTS_A,
    COMMENTS_B,
    JURORS,
    NAMES,
    OVERALL_A,
    decided_contest,
    publish,
    settings_form,
    signed_in,
)
from ._shown import shows, visible_text


@pytest.fixture
def decided(app, build):
    return decided_contest(app, build)


def _in_english(app):
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        db.session.commit()


def _applicant(app, decided, key):
    client = signed_in(app, decided.applicants[key])
    client.submit("/language", {"language": "en", "next": "/"})
    return client


def _page(client, decided, key) -> str:
    response = client.get(f"/applications/{decided.numbers[key]}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_before_publication_the_applicant_sees_no_result_feedback_or_diploma(app, decided):
    a = _applicant(app, decided, "a")
    page = _page(a, decided, "a")
    assert "Admitted to evaluation" in page
    for hidden in ("Winner", "among the winners", "19.75", "8.50", *COMMENTS_A, *OVERALL_A):
        assert hidden not in page
    number = decided.numbers["a"]
    assert a.get(f"/applications/{number}/feedback.pdf").status_code == 404
    assert a.get(f"/applications/{number}/certificate.pdf").status_code == 404


def test_the_winner_sees_the_place_the_score_the_results_and_downloads_the_diploma(app, decided):
    publish(app, decided)
    a = _applicant(app, decided, "a")
    page = _page(a, decided, "a")
    assert "Winner: place 1 among the winners, score 19.75" in page
    assert page.count("Winner") == 1  # said once, not in a badge and again in the text
    assert "Amount awarded" not in page  # a contest without a fund awards no amount
    assert f'href="/contests/{decided.slug}/results"' in page
    number = decided.numbers["a"]
    diploma = a.get(f"/applications/{number}/certificate.pdf?lang=en")
    assert diploma.status_code == 200 and diploma.mimetype == "application/pdf"
    text = visible_text(diploma)
    assert shows(text, NAMES["a"]) and shows(text, "place 1") and shows(text, JURORS[0])
    assert f"certificate-{number}-en.pdf" in diploma.headers["Content-Disposition"]
    # "My applications" says it too.
    mine = a.get("/my/applications").get_data(as_text=True)
    assert "Winner: place 1 among the winners" in mine and mine.count("Winner") == 1


def test_a_runner_up_sees_their_own_place_and_score_when_only_winners_are_published(app, decided):
    with app.app_context():
        db.session.get(Contest, decided.contest_id).results_full_ranking = False
        db.session.commit()
    publish(app, decided)
    public = app.test_client().get(f"/contests/{decided.slug}/results").get_data(as_text=True)
    assert decided.numbers["b"] not in public and "12.50" not in public and "12,50" not in public
    b = _applicant(app, decided, "b")
    page = _page(b, decided, "b")
    assert "Not among the winners: place 2 in the ranking, score 12.50" in page
    # Nothing of the winner's beyond the public page: not its score's parts, its comments.
    assert "8.50" not in page and not any(c in page for c in COMMENTS_A + OVERALL_A)
    assert b.get(f"/applications/{decided.numbers['b']}/certificate.pdf").status_code == 404


def test_a_rejected_applicant_is_told_the_jury_did_not_score_it(app, decided):
    publish(app, decided)
    page = _page(_applicant(app, decided, "c"), decided, "c")
    assert "Not admitted to evaluation: the jury did not score it" in page
    assert "Feedback of the jury" not in page


def test_the_publication_email_tells_each_applicant_their_own_result(app, decided, outbox):
    _in_english(app)
    publish(app, decided)
    mails = {m["To"].addresses[0].addr_spec: m.get_body(("plain",)).get_content() for m in outbox()}
    a, b, c = (mails[decided.applicants[key]] for key in "abc")
    assert "Result: Winner: place 1 among the winners, score 19.75." in a
    assert "The winner’s diploma can be downloaded" in a
    assert f"http://127.0.0.1:5000/applications/{decided.numbers['a']}" in a
    assert f"http://127.0.0.1:5000/contests/{decided.slug}/results" in a
    assert "you can file one appeal on the application’s page until" in a
    assert "The jury’s feedback on your application is on its page" in a
    assert "Amount awarded" not in a  # no fund, no amount
    assert "Result: Not among the winners: place 2 in the ranking, score 12.50." in b
    assert "19.75" not in b and "diploma" not in b
    assert "Not admitted to evaluation" in c and "feedback" not in c


# The amount awarded (SPEC §12) ---------------------------------------------------------


def _with_fund(app, decided, requested: dict[str, str]) -> None:
    """A fund of 100 000 for two winners; each application asks for ``requested``."""
    with app.app_context():
        contest = db.session.get(Contest, decided.contest_id)
        contest.fund, contest.max_request, contest.winners = Decimal(100000), Decimal(60000), 2
        for key, amount in requested.items():
            db.session.get(Application, decided.ids[key]).requested = Decimal(amount)
        db.session.commit()


def _text(response) -> str:
    assert response.status_code == 200
    return visible_text(response)


def test_the_amount_awarded_shows_once_published_the_request_or_the_partial_award(
    app, decided, outbox
):
    """A asks 60 000 and wins it; B's 50 000 no longer fits in the 40 000 left, and the
    commission funds it in part with 35 000. Until publication neither applicant sees an
    amount awarded; then each sees their own on the page, in the e-mail and the PDFs."""
    _in_english(app)
    _with_fund(app, decided, {"a": "60000", "b": "50000", "c": "10000"})
    organiser = signed_in(app, decided.organiser)
    award = organiser.submit(
        f"/manage/contests/{decided.slug}/awards/{decided.numbers['b']}",
        {"amount": "35 000", "reason": "Голосування: 5 — за, 0 — проти."},
    )
    assert award.status_code == 302, award.get_data(as_text=True)
    a, b = _applicant(app, decided, "a"), _applicant(app, decided, "b")
    for client, key in ((a, "a"), (b, "b")):
        page = _text(client.get(f"/applications/{decided.numbers[key]}"))
        assert not shows(page, "Amount awarded") and not shows(page, "35,000.00"), key
        assert client.get(f"/applications/{decided.numbers[key]}/feedback.pdf").status_code == 404
    publish(app, decided)
    page_a = _text(a.get(f"/applications/{decided.numbers['a']}"))
    assert shows(page_a, "Winner: place 1 among the winners, score 19.75")
    assert shows(page_a, "Amount awarded: 60,000.00 UAH")
    page_b = _text(b.get(f"/applications/{decided.numbers['b']}"))
    assert shows(page_b, "Winner: place 2 among the winners, score 12.50")
    assert shows(page_b, "Amount awarded: 35,000.00 UAH")
    assert shows(page_b, "funded in part by the commission’s decision: 35,000.00 UAH of the")
    assert not shows(page_b, "60,000.00")  # nothing of A's
    # The feedback PDF and the diploma say the same amount.
    pdf_b = _text(b.get(f"/applications/{decided.numbers['b']}/feedback.pdf?lang=en"))
    assert shows(pdf_b, "Amount awarded") and shows(pdf_b, "35,000.00 UAH")
    diploma = _text(b.get(f"/applications/{decided.numbers['b']}/certificate.pdf?lang=en"))
    assert shows(diploma, "35,000.00 UAH")
    mails = {m["To"].addresses[0].addr_spec: m.get_body(("plain",)).get_content() for m in outbox()}
    mail_a, mail_b, mail_c = (mails[decided.applicants[key]] for key in "abc")
    assert shows(mail_a, "Amount awarded: 60,000.00 UAH.")
    assert shows(mail_b, "Amount awarded: 35,000.00 UAH.") and "60,000" not in mail_b
    assert "Amount awarded" not in mail_c  # rejected at screening: nothing awarded
    page_c = _text(_applicant(app, decided, "c").get(f"/applications/{decided.numbers['c']}"))
    assert not shows(page_c, "Amount awarded")


def test_a_non_winner_of_a_contest_with_a_fund_is_awarded_nothing(app, decided, outbox):
    """Without the commission's partial award, B's 50 000 does not fit in what is left:
    B is not among the winners and sees no amount awarded; A sees theirs, in Ukrainian."""
    _with_fund(app, decided, {"a": "60000", "b": "50000", "c": "10000"})
    publish(app, decided)
    a = signed_in(app, decided.applicants["a"])
    page_a = _text(a.get(f"/applications/{decided.numbers['a']}"))
    assert shows(page_a, "Призначена сума: 60 000,00 грн")
    b = _applicant(app, decided, "b")
    page_b = _text(b.get(f"/applications/{decided.numbers['b']}"))
    assert shows(page_b, "Not among the winners: place 2 in the ranking, score 12.50")
    assert not shows(page_b, "Amount awarded") and not shows(page_b, "60,000.00")
    pdf_b = _text(b.get(f"/applications/{decided.numbers['b']}/feedback.pdf?lang=en"))
    assert not shows(pdf_b, "Amount awarded")
    mails = {m["To"].addresses[0].addr_spec: m.get_body(("plain",)).get_content() for m in outbox()}
    assert shows(mails[decided.applicants["a"]], "Призначена сума: 60 000,00 грн.")
    assert "Призначена сума" not in mails[decided.applicants["b"]]


# Feedback ---------------------------------------------------------------------------------


def _feedback_section(page: str) -> str:
    match = re.search(r'<section[^>]*id="feedback".*?</section>', page, re.S)
    assert match, "no feedback section"
    return match.group(0)


def test_the_feedback_shows_the_means_and_the_comments_without_names(app, decided):
    publish(app, decided)
    section = _feedback_section(_page(_applicant(app, decided, "a"), decided, "a"))
    # C1: (9 + 8) / 2; C2: (8 + 7) / 2; the recused juror does not count.
    assert re.search(r"C1 Актуальність</th>\s*<td[^>]*>8.50</td>\s*<td[^>]*>10</td>", section)
    assert re.search(r"C2 Залучення мешканців</th>\s*<td[^>]*>7.50</td>", section)
    for comment in COMMENTS_A + OVERALL_A:
        assert comment in section
    for name in JURORS:
        assert name not in section
    assert not any(comment in section for comment in COMMENTS_B)


def test_the_order_of_comments_comes_from_the_comments_not_from_who_wrote_them(app, decided):
    publish(app, decided)
    a = _applicant(app, decided, "a")
    before = _feedback_section(_page(a, decided, "a"))
    order = re.findall(r"<li[^>]*>([^<]+)</li>", before)
    assert {"A-C1-перший", "A-C1-другий"} <= set(order)
    # The same page every time, and the same order however the jurors' sheets are swapped.
    assert _feedback_section(_page(a, decided, "a")) == before
    with app.app_context():
        scores = db.session.scalars(
            select(Score)
            .join(Scoresheet)
            .where(Scoresheet.application_id == decided.ids["a"], Score.comment.like("A-C1-%"))
        ).all()
        first, second = scores
        first.comment, second.comment = second.comment, first.comment
        sheets = db.session.scalars(
            select(Scoresheet).where(
                Scoresheet.application_id == decided.ids["a"], Scoresheet.overall_comment != ""
            )
        ).all()
        sheets[0].overall_comment, sheets[1].overall_comment = (
            sheets[1].overall_comment,
            sheets[0].overall_comment,
        )
        db.session.commit()
    assert _feedback_section(_page(a, decided, "a")) == before


def test_the_anonymous_order_is_a_function_of_the_texts_and_the_seed():
    texts = ["в", "а", "б", "г", "ґ", ""]
    shuffled = anonymous_order(texts, "17:3")
    assert sorted(shuffled) == ["а", "б", "в", "г", "ґ"]  # the empty one dropped
    assert anonymous_order(reversed(texts), "17:3") == shuffled
    assert anonymous_order(texts, "17:3") == shuffled
    others = {anonymous_order(texts, f"{n}:3") for n in range(20)}
    assert len(others) > 1  # shuffled per application, not merely sorted


def test_feedback_of_scores_only_has_no_comments(app, decided):
    with app.app_context():
        db.session.get(Contest, decided.contest_id).feedback = Feedback.SCORES
        db.session.commit()
    publish(app, decided)
    a = _applicant(app, decided, "a")
    section = _feedback_section(_page(a, decided, "a"))
    assert "8.50" in section and "7.50" in section
    assert not any(c in section for c in COMMENTS_A + OVERALL_A)
    pdf = visible_text(a.get(f"/applications/{decided.numbers['a']}/feedback.pdf?lang=en"))
    assert shows(pdf, "8.50") and not any(shows(pdf, c) for c in COMMENTS_A + OVERALL_A)


def test_a_contest_without_feedback_gives_none(app, decided):
    with app.app_context():
        db.session.get(Contest, decided.contest_id).feedback = Feedback.NONE
        db.session.commit()
    publish(app, decided)
    a = _applicant(app, decided, "a")
    page = _page(a, decided, "a")
    assert 'id="feedback"' not in page and "8.50" not in page
    assert a.get(f"/applications/{decided.numbers['a']}/feedback.pdf").status_code == 404


def test_the_feedback_pdf_says_what_the_page_says_in_the_same_order(app, decided):
    publish(app, decided)
    a = _applicant(app, decided, "a")
    section = _feedback_section(_page(a, decided, "a"))
    response = a.get(f"/applications/{decided.numbers['a']}/feedback.pdf?lang=en")
    assert response.status_code == 200
    assert f"feedback-{decided.numbers['a']}-en.pdf" in response.headers["Content-Disposition"]
    text = visible_text(response)
    for marker in ("Feedback of the jury", "8.50", "7.50", *COMMENTS_A, *OVERALL_A):
        assert shows(text, marker), marker
    assert not any(shows(text, name) for name in JURORS)
    assert not any(shows(text, c) for c in COMMENTS_B)
    on_page = [c for c in re.findall(r"<li[^>]*>([^<]+)</li>", section) if c in COMMENTS_A]
    in_pdf = sorted(COMMENTS_A, key=lambda c: re.sub(r"\s+", "", text).index(c))
    assert on_page == in_pdf


def test_nothing_of_another_applicants_feedback_is_ever_visible(app, decided, build):
    """B, a juror of the contest and an outsider try every way to A's feedback."""
    publish(app, decided)
    number = decided.numbers["a"]
    b = _applicant(app, decided, "b")
    juror = signed_in(app, f"j1@{decided.slug}.example")
    outsider_id = build.applicant(email="outsider@example.org")
    assert outsider_id
    outsider = signed_in(app, "outsider@example.org")
    for client in (b, juror, outsider):
        for url in (
            f"/applications/{number}",
            f"/applications/{number}/feedback.pdf",
            f"/applications/{number}/certificate.pdf",
            f"/applications/{number}/appeal",
            f"/applications/{number}/clarification",
        ):
            response = client.get(url)
            # The juror scored A: its page (the application as submitted) is theirs to read.
            allowed = (403, 404, 200) if client is juror and url.endswith(number) else (403, 404)
            assert response.status_code in allowed, (url, response.status_code)
            text = visible_text(response)
            assert not any(shows(text, c) for c in COMMENTS_A + OVERALL_A), url
    # B's own pages and files hold B's feedback only, and no juror's name.
    own = decided.numbers["b"]
    for response in (
        b.get(f"/applications/{own}"),
        b.get(f"/applications/{own}/feedback.pdf?lang=en"),
        b.get("/my/applications"),
        b.get("/organisation/data.json"),
    ):
        assert response.status_code == 200
        text = visible_text(response)
        assert not any(shows(text, c) for c in COMMENTS_A + OVERALL_A)
        assert not any(shows(text, name) for name in JURORS)
    assert shows(visible_text(b.get(f"/applications/{own}/feedback.pdf?lang=en")), "B-C1-другий")
    # The contest's organisers may read what the applicant reads.
    organiser = signed_in(app, decided.organiser)
    assert organiser.get(f"/applications/{number}/feedback.pdf").status_code == 200


# The settings -----------------------------------------------------------------------------


def test_the_feedback_is_declared_before_judging_and_the_appeals_before_publication(app, decided):
    organiser = signed_in(app, decided.organiser)
    organiser.submit("/language", {"language": "en", "next": "/"})
    url = f"/manage/contests/{decided.slug}/edit"
    form = settings_form(app, decided)
    page = organiser.submit(url, {**form, "feedback": "none"}).get_data(as_text=True)
    assert "The feedback was declared to applicants before the jury scored" in page
    # The rules of appeal can still change in deliberation …
    response = organiser.submit(url, {**form, "appeal_days": "14"})
    assert response.status_code == 302
    with app.app_context():
        contest = db.session.get(Contest, decided.contest_id)
        assert (contest.feedback, contest.appeal_days) == (Feedback.COMMENTS, 14)
    # … not once the results are out with them.
    publish(app, decided)
    page = organiser.submit(url, {**form, "appeal_days": "3"}).get_data(as_text=True)
    assert "The results were published with these rules of appeal" in page
    with app.app_context():
        assert db.session.get(Contest, decided.contest_id).appeal_days == 14
    visitor = app.test_client()
    visitor.submit("/language", {"language": "en", "next": "/"})
    contest_page = visitor.get(f"/contests/{decided.slug}").get_data(as_text=True)
    assert "Within 14 days after publication; the commission answers within 5" in contest_page
    assert "the jurors’ comments, without names" in contest_page
