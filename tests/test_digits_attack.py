"""Outside attack: digits that ``str.isdigit`` accepts and ``int`` refuses («²», «⑦»)
reaching ``int`` from a request — a 500 instead of a refusal."""

from scoring.models import Role
from tests._applications import questions, start
from tests._judging import autosave, judged_contest, page_csrf, set_sheet


def test_an_autosave_with_a_superscript_criterion_key_is_refused_not_a_500(app, build, client):
    juror = build.user(Role.JUROR, email="digits.j@example.org")
    judged = judged_contest(app, build, [juror], count=1)
    number = judged.numbers[0]
    set_sheet(app, juror, number)  # declared, a draft
    client.login("digits.j@example.org")
    token = page_csrf(client, judged.url(number))
    for body in ({"points": {"²": "5"}}, {"comments": {"⑦": "текст"}}):
        response = autosave(client, judged, number, body, token)
        assert response.status_code < 500, (body, response.status_code)


def test_a_draft_saved_with_a_superscript_attachment_to_remove_is_not_a_500(client, app, build):
    organiser = build.user(Role.ORGANISER, email="digits.o@example.org")
    build.contest(organisers=[organiser], slug="tsyfry", questions=questions())
    build.applicant(email="digits.a@example.org", oblast="UA-14")
    client.login("digits.a@example.org")
    application_id = start(client, slug="tsyfry")
    response = client.submit(f"/applications/draft/{application_id}", {"action": "remove:²"})
    assert response.status_code < 500, response.status_code
