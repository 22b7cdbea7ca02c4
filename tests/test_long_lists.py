"""Long lists come a page at a time (issue 17): the juror's assignments and the contest's
people. Page 2 shows what page 1 does not, the counts are of the whole list, a page number
that is wrong gives a page all the same, and the first page does not grow with the list."""

import re

from sqlalchemy import update

from scoring import clock, edrpou
from scoring.extensions import db
from scoring.judging.operations import fair_order_key
from scoring.models import (
    Application,
    ApplicationState,
    Conflict,
    Organisation,
    OrganisationKind,
    Role,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._databases import counted
from ._judging import judged_contest, set_sheet

JUROR = "juror@example.org"
ORGANISER = "organiser@example.org"
WRONG_PAGES = {"x": 1, "": 1, "0": 1, "-3": 1, "2.5": 1, "999": 2, "9" * 30: 2}


# The juror's assignments --------------------------------------------------------------


def _listed(page: str) -> list[str]:
    """The numbers of the applications in the juror's list, in its order."""
    items = page.partition('<ol class="list-group assignments">')[2].partition("</ol>")[0]
    return re.findall(
        r'data-status="[a-z_]+">\s*<div class="text-break">\s*'
        r"(?:<a[^>]*>|<span[^>]*>)([A-Z0-9-]+)<",
        items,
    )


def _fair(app, judged, juror: int) -> list[str]:
    with app.app_context():
        ids = dict(db.session.execute(db.select(Application.number, Application.id)).all())
    return sorted(judged.numbers, key=lambda n: fair_order_key(judged.contest_id, juror, ids[n]))


def _submit_all(app, juror: int, numbers: list[str]) -> None:
    with app.app_context():
        db.session.execute(
            update(Scoresheet)
            .where(
                Scoresheet.juror_id == juror,
                Scoresheet.application_id.in_(
                    db.select(Application.id).where(Application.number.in_(numbers))
                ),
            )
            .values(conflict=Conflict.NONE, state=SheetState.SUBMITTED)
        )
        db.session.commit()


def test_the_jurors_list_comes_a_page_at_a_time_with_what_is_left_to_score_first(
    app, build, client, signed_in
):
    juror = signed_in(Role.JUROR, JUROR)
    judged = judged_contest(app, build, [juror], count=56)
    fair = _fair(app, judged, juror)
    submitted, recused = fair[:10], fair[10]
    _submit_all(app, juror, submitted)
    set_sheet(app, juror, recused, conflict=Conflict.RECUSED, declaration="Сусід")
    set_sheet(app, juror, fair[20])  # a draft: still to score
    to_score = [n for n in fair if n not in submitted and n != recused]  # 45

    first = client.get(judged.url()).get_data(as_text=True)
    # What is left to score first, in the juror's fair order; then what is done.
    assert _listed(first) == to_score + submitted[:5]
    assert "Applications 1–50 of 56" in first and "Page 1 of 2" in first
    # The counts are of the whole list, not of the page.
    assert "Submitted 10 of 55" in first and "All (56)" in first
    assert "Not started: 44" in first and "Drafts: 1" in first and "Recused: 1" in first
    assert 'aria-label="Pages of my assignments"' in first
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1)
    assert link == judged.url() + "?page=2#assignments"

    second = client.get(link).get_data(as_text=True)
    assert _listed(second) == submitted[5:] + [recused]
    assert not set(_listed(first)) & set(_listed(second))
    assert "Applications 51–56 of 56" in second and "Page 2 of 2" in second
    assert "Submitted 10 of 55" in second
    assert re.search(r'href="([^"]+)" rel="prev"', second).group(1) == judged.url() + "#assignments"
    assert 'rel="next"' not in second

    # A filter keeps to its own rows: one page, no page links.
    done = client.get(judged.url() + "?status=submitted").get_data(as_text=True)
    assert _listed(done) == submitted and "Page 1 of" not in done
    assert "Submitted 10 of 55" in done

    for wrong, shown in WRONG_PAGES.items():
        response = client.get(judged.url(), query_string={"page": wrong})
        assert response.status_code == 200, wrong
        page = response.get_data(as_text=True)
        assert f"Page {shown} of 2" in page, wrong
        assert _listed(page) == _listed(first if shown == 1 else second), wrong


def test_the_jurors_list_after_scoring_puts_the_sheets_to_read_first(app, build, client, signed_in):
    juror = signed_in(Role.JUROR, JUROR)
    judged = judged_contest(app, build, [juror], count=53, stage=Stage.DELIBERATION)
    fair = _fair(app, judged, juror)
    _submit_all(app, juror, fair[-3:])
    page = client.get(judged.url()).get_data(as_text=True)
    assert "Scoring is closed" in page
    assert _listed(page)[:4] == fair[-3:] + fair[:1]
    assert "What is still to score comes first" not in page


def test_the_jurors_first_page_does_not_grow_with_the_list(app, build, client, signed_in):
    juror = signed_in(Role.JUROR, JUROR)
    small = judged_contest(app, build, [juror], count=51, slug="small-2026")
    large = judged_contest(app, build, [juror], count=150, slug="large-2026")
    sizes, queries = {}, {}
    for judged in (small, large):
        client.get(judged.url())  # warm up the session
        with counted(app) as statements:
            response = client.get(judged.url())
        queries[judged.slug], sizes[judged.slug] = statements[0], len(response.data)
        assert len(_listed(response.get_data(as_text=True))) == 50
    assert queries["small-2026"] == queries["large-2026"], queries
    # The same 50 rows; only the counts and the page links differ.
    assert abs(sizes["large-2026"] - sizes["small-2026"]) < 1500, sizes


def test_a_juror_without_assignments_reads_so_without_page_links(app, build, client, signed_in):
    juror = signed_in(Role.JUROR, JUROR)
    other = build.user(Role.JUROR)
    judged = judged_contest(app, build, [juror, other], count=2, assigned=[other])
    page = client.get(judged.url()).get_data(as_text=True)
    assert "No application is assigned to you in this contest yet." in page
    assert "pagination" not in page
    page = client.get(judged.url(), query_string={"page": "7"}).get_data(as_text=True)
    assert "No application is assigned to you in this contest yet." in page


# The contest's people -----------------------------------------------------------------


def _applicants(app, contest_id: int, count: int, start: int = 0) -> list[str]:
    """``count`` applicant organisations, each with an account and a submitted application,
    in one transaction; their e-mails."""
    emails = []
    with app.app_context():
        for i in range(start + 1, start + count + 1):
            organisation = Organisation(
                kind=OrganisationKind.NGO,
                name=f"ГО «Громада {contest_id}-{i:04d}»",
                edrpou=edrpou.complete(f"{6100000 + contest_id * 2000 + i:07d}"),
                oblast="UA-63",
                community="Харківська міська громада",
                contact_person=f"Контактна особа {i}",
                email=f"people{contest_id}-{i}@example.org",
                phone="+380501234567",
            )
            organisation.members = [
                User(
                    email=f"account{contest_id}-{i}@example.org",
                    name=f"Заявник {i}",
                    role=Role.APPLICANT,
                )
            ]
            db.session.add(
                Application(
                    contest_id=contest_id,
                    organisation=organisation,
                    state=ApplicationState.SUBMITTED,
                    serial=i,
                    number=f"PPL-2026-{contest_id:02d}{i:04d}",
                    title="",
                    submitted_at=clock.now(),
                )
            )
            emails.append(organisation.email)
        db.session.commit()
    return emails


def _people(page: str) -> list[str]:
    """The e-mails of the applicant organisations listed."""
    listed = page.partition('aria-label="Applicants"')[2].partition("</ul>")[0]
    return re.findall(r"people\d+-\d+@example\.org", listed)


def test_the_people_page_comes_a_page_at_a_time_with_the_jury_on_each(
    app, build, client, signed_in
):
    organiser = signed_in(Role.ORGANISER, ORGANISER)
    jurors = [build.user(Role.JUROR, name=f"Член журі {n}") for n in (1, 2)]
    contest_id = build.contest(organisers=[organiser], jurors=jurors, slug="lyudy-2026")
    emails = _applicants(app, contest_id, 57)
    url = "/manage/contests/lyudy-2026/people"

    first = client.get(url).get_data(as_text=True)
    assert len(_people(first)) == 50
    assert "Applicants 1–50 of 57" in first and "(57)" in first and "Page 1 of 2" in first
    assert "Член журі 1" in first and "Член журі 2" in first
    assert 'aria-label="Pages of the applicants"' in first
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1)
    assert link == url + "?page=2#applicants"
    second = client.get(link).get_data(as_text=True)
    assert len(_people(second)) == 7 and "Applicants 51–57 of 57" in second
    assert "Член журі 1" in second  # the jury, a few people, on every page
    assert sorted(_people(first) + _people(second)) == sorted(emails)
    assert "account" in second and "Account: Заявник" in second

    for wrong, shown in WRONG_PAGES.items():
        response = client.get(url, query_string={"page": wrong})
        assert response.status_code == 200, wrong
        page = response.get_data(as_text=True)
        assert f"Page {shown} of 2" in page, wrong
        assert _people(page) == _people(first if shown == 1 else second), wrong


def test_an_applicant_anonymised_from_page_2_leads_back_to_page_2(app, build, client, signed_in):
    organiser = signed_in(Role.ORGANISER, ORGANISER)
    contest_id = build.contest(organisers=[organiser], slug="arkhiv-2026", stage=Stage.ARCHIVED)
    _applicants(app, contest_id, 55)
    url = "/manage/contests/arkhiv-2026/people"
    second = client.get(url + "?page=2").get_data(as_text=True)
    link = re.search(r'href="([^"]+/anonymise\?page=2)"', second).group(1)
    confirm = client.get(link).get_data(as_text=True)
    assert f'href="{url}?page=2"' in confirm  # «Cancel» goes back to page 2 as well
    response = client.submit(link)
    assert response.status_code == 302 and response.headers["Location"] == url + "?page=2"
    back = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The person’s data are anonymised." in back and "Page 2 of 2" in back
    assert back.count("anonymised ") == 1 and len(_people(back)) == 4


def test_the_people_page_of_a_contest_without_applicants(app, build, client, signed_in):
    organiser = signed_in(Role.ORGANISER, ORGANISER)
    build.contest(organisers=[organiser], slug="porozhnii-2026")
    for query in ("", "?page=3"):
        page = client.get("/manage/contests/porozhnii-2026/people" + query)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Nobody has applied to this contest." in text
        assert "The contest has no jurors." in text and "pagination" not in text


def test_the_people_page_issues_the_same_queries_and_size_for_few_and_many_applicants(
    app, build, client, signed_in
):
    """Past 500 organisations the accounts were loaded in one more query per 500."""
    organiser = signed_in(Role.ORGANISER, ORGANISER)
    few = build.contest(organisers=[organiser], slug="few-2026")
    many = build.contest(organisers=[organiser], slug="many-2026")
    _applicants(app, few, 60)
    _applicants(app, many, 1010)
    queries, sizes = {}, {}
    for slug in ("few-2026", "many-2026"):
        url = f"/manage/contests/{slug}/people"
        client.get(url)  # warm up the session
        with counted(app) as statements:
            response = client.get(url)
        assert response.status_code == 200
        queries[slug], sizes[slug] = statements[0], len(response.data)
    assert "Applicants 1–50 of 1,010" in response.get_data(as_text=True)  # grouped thousands
    assert queries["few-2026"] == queries["many-2026"], queries
    assert abs(sizes["many-2026"] - sizes["few-2026"]) < 2000, sizes
