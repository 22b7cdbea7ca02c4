"""The PDF documents of SPEC §7, opened and read back: over HTTP, on the command line.

Every file is parsed with pypdf: the text must come out as Ukrainian (the fonts carry
Cyrillic and a ToUnicode map), every font must be embedded, pages numbered "N of M",
the draft mark present before publication and gone after. Labels are compared with
what gettext gives in the document's language, so the tests hold before and after
the Ukrainian catalogue gains the documents' messages.
"""

import hashlib
import io
import re
import threading
from datetime import UTC, datetime

import pytest
from flask_babel import force_locale, gettext
from pypdf import PdfReader
from sqlalchemy import delete, func, select
from werkzeug.security import generate_password_hash

from scoring import audit, demo, documents, models
from scoring.documents import jobs
from scoring.documents.pdf import fonts
from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    Attachment,
    Conflict,
    Contest,
    Decision,
    DecisionKind,
    Organisation,
    Role,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._applications import PDF, assign_juror, questions, submitted_application
from ._judging import judged_contest, set_sheet

ORGANISER = "organiser@demo.example"
CHAIR = "olena.kovalenko@demo.example"
APPLICANT = "applicant10@demo.example"  # Балаклійська міська рада, first place
FIRST = "Балаклійська міська рада"
TIED = ("Маріупольська міська рада", "ГО «Запорізький центр місцевої демократії»")


# --- Reading a PDF back ----------------------------------------------------------------


class Document:
    """A PDF as its reader sees it: pages of text, fonts, metadata."""

    def __init__(self, data: bytes):
        assert data.startswith(b"%PDF-")
        self.reader = PdfReader(io.BytesIO(data))
        self.pages = [page.extract_text() or "" for page in self.reader.pages]
        self.text = "\n".join(self.pages)
        self.flat = " ".join(self.text.split())  # line breaks of wrapped cells removed

    def __contains__(self, words: str) -> bool:
        return " ".join(words.split()) in self.flat

    def fonts(self) -> dict[str, object]:
        """Every font any page uses, by its base name."""
        found = {}
        for page in self.reader.pages:
            resources = page["/Resources"].get_object()
            for font in resources.get("/Font", {}).values():
                font = font.get_object()
                found[str(font["/BaseFont"])] = font
        return found


def read(response) -> Document:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return Document(response.get_data())


def words(app, message: str, language: str = "uk", **params) -> str:
    """A label as the document prints it in ``language``."""
    with app.test_request_context(), force_locale(language):
        return gettext(message, **params)


def assert_fonts_embedded(document: Document) -> None:
    fonts = document.fonts()
    assert fonts, "no font at all"
    for name, font in fonts.items():
        assert "DejaVuSans" in name, f"{name} is not the embedded TrueType font"
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{name} is not embedded"
        assert descriptor["/FontFile2"].get_object().get_data(), f"{name} has an empty font file"


def assert_numbered(app, document: Document, language: str = "uk") -> None:
    total = len(document.pages)
    for number, text in enumerate(document.pages, start=1):
        expected = words(app, "page %(page)s of %(pages)s", language, page=number, pages=total)
        assert expected in text, f"page {number}: {expected!r} missing"


def assert_certificate_page(app, document: Document, language: str = "uk") -> None:
    """One page, and no footer: a certificate is not a report «generated on …, page 1 of 1»."""
    assert len(document.pages) == 1
    page = words(app, "page %(page)s of %(pages)s", language, page=1, pages=1)
    generated = words(app, "Generated %(moment)s (Kyiv time)", language, moment="")
    assert page not in document.text
    assert generated.split()[0] not in document.text


def assert_draft(app, document: Document, draft: bool, language: str = "uk") -> None:
    label = words(app, "DRAFT: the results are not published yet", language)
    marked = [label in text for text in document.pages]
    assert marked == [draft] * len(document.pages)


def assert_attachment(response, name: str) -> None:
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'


# --- The demo contest ------------------------------------------------------------------


@pytest.fixture
def demo_contest(app, demo_loaded, monkeypatch) -> str:
    """The demo's contest in judging (12 applications, a tie at the 5th place); its slug."""
    # Cheap password hashes for the users a test adds (the demo's come so from the template).
    monkeypatch.setattr(
        models, "generate_password_hash", lambda p: generate_password_hash(p, "pbkdf2:sha256:1")
    )
    with app.app_context():
        return db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.JUDGING))


def _numbers(app, slug: str) -> dict[str, str]:
    """{organisation name: registration number} in the contest."""
    with app.app_context():
        rows = db.session.execute(
            select(Organisation.name, Application.number)
            .join(Application.organisation)
            .join(Application.contest)
            .where(Contest.slug == slug)
        ).all()
        return dict(rows)


def _publish(app, slug: str, tie_winner: str) -> None:
    """Decide the demo's tie for ``tie_winner`` and publish the results."""
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        winner = db.session.scalar(
            select(Application)
            .join(Application.organisation)
            .where(Application.contest_id == contest.id, Organisation.name == tie_winner)
        )
        db.session.add(
            Decision(
                contest_id=contest.id,
                kind=DecisionKind.TIE,
                winner_ids=[winner.id],
                reason="Голосування комісії: 2 голоси проти 1.",
            )
        )
        contest.stage = Stage.PUBLISHED
        contest.published_at = datetime(2026, 9, 15, 9, 0, tzinfo=UTC)
        db.session.commit()


def _login(client, email: str) -> None:
    client.login(email, demo.PASSWORD)


# --- Results announcement --------------------------------------------------------------


def test_before_publication_only_the_organisers_get_the_announcement_marked_draft(
    app, client, build, demo_contest
):
    url = f"/contests/{demo_contest}/results.pdf"
    assert client.get(url).status_code == 404  # anonymous
    _login(client, APPLICANT)
    assert client.get(url).status_code == 404
    client.submit("/logout")
    stranger = build.user(Role.ORGANISER, email="stranger@example.org")
    assert stranger
    client.login("stranger@example.org")
    assert client.get(url).status_code == 404
    client.submit("/logout")

    _login(client, ORGANISER)
    response = client.get(url)
    assert_attachment(response, f"results-{demo_contest}.pdf")
    assert response.headers["Cache-Control"] == "private, no-store"
    document = read(response)
    assert_fonts_embedded(document)
    assert_numbered(app, document)
    assert_draft(app, document, True)
    assert f"Успішна участь громади {demo_contest[-4:]}" in document
    assert FIRST in document and "60,50" in document
    assert (
        "Харківська область" in document and "Балаклійська міська територіальна громада" in document
    )
    assert "\ufffd" not in document.text  # no character the font could not map
    assert words(app, "The commission has not yet decided which of them win.") in document
    for name in TIED:
        assert name in document
    rule = words(
        app,
        "Tie-break rule, declared in advance: applications are ordered by their score; when "
        "scores are equal, the jurors’ mean points on each criterion are compared in the order "
        "of the criteria (%(codes)s), the higher first. Applications still equal share the "
        "place; when they compete for the last winning places, the commission decides which "
        "of them win and records why.",
        codes="C1, C2, C3, C4, C5, C6",
    )
    assert rule in document
    assert f"http://127.0.0.1:5000/contests/{demo_contest}/results" in document
    metadata = document.reader.metadata
    assert metadata["/Author"] == "Хаб участі" and demo_contest[-4:] in metadata["/Title"]
    assert document.reader.trailer["/Root"]["/Lang"] == "uk-UA"


def test_after_publication_the_announcement_is_public_final_and_names_the_decision(
    app, client, demo_contest
):
    _publish(app, demo_contest, TIED[1])
    response = client.get(f"/contests/{demo_contest}/results.pdf")
    document = read(response)
    assert response.headers["Cache-Control"].startswith("public")
    assert_draft(app, document, False)
    assert "ПРОЄКТ" not in document and words(app, "DRAFT") not in document.text
    assert words(app, "Published on %(date)s", date="15 вересня 2026 р.") in document
    assert "Голосування комісії: 2 голоси проти 1." in document
    winners = document.flat.split(words(app, "Ties and the commission’s decisions"))[0]
    assert TIED[1] in winners and TIED[0] not in winners
    assert [winners.index(name) for name in (FIRST, TIED[1])] == sorted(
        winners.index(name) for name in (FIRST, TIED[1])
    )
    assert_fonts_embedded(document)
    assert_numbered(app, document)


def test_the_announcement_in_english(app, client, demo_contest):
    _publish(app, demo_contest, TIED[0])
    response = client.get(f"/contests/{demo_contest}/results.pdf?lang=en")
    assert_attachment(response, f"results-{demo_contest}-en.pdf")
    document = read(response)
    assert "Successful Community Participation" in document
    assert "Kharkiv Oblast" in document and "Харківська область" not in document
    assert "Relevance to the contest's aim" in document
    assert "September 15, 2026" in document
    assert_numbered(app, document, "en")
    assert document.reader.trailer["/Root"]["/Lang"] == "en"
    assert FIRST in document  # names stay as the organisations wrote them


def test_a_contest_that_publishes_only_the_winners_leaves_out_the_full_ranking(
    app, client, demo_contest
):
    _publish(app, demo_contest, TIED[0])
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == demo_contest))
        contest.results_full_ranking = False
        db.session.commit()
    document = read(client.get(f"/contests/{demo_contest}/results.pdf"))
    assert FIRST in document
    assert "Вознесенська міська рада" not in document  # the last place
    assert words(app, "Full ranking") not in document


# --- Protocol --------------------------------------------------------------------------


def test_the_protocol_follows_the_commissions_form_and_ends_with_the_audit_hash(
    app, client, build, demo_contest
):
    build.meeting(demo_contest, number="3", place="м. Харків", attendance=False)
    url = f"/manage/contests/{demo_contest}/protocol.pdf"
    assert client.get(url).status_code == 302  # to the login page
    _login(client, CHAIR)
    assert client.get(url).status_code == 403
    client.submit("/logout")
    _login(client, ORGANISER)
    response = client.get(url)
    assert_attachment(response, f"protocol-{demo_contest}.pdf")
    document = read(response)
    with app.app_context():
        chain = audit.verify()
    assert words(app, "MINUTES No. %(number)s", number="3") in document
    assert "м. Харків" in document
    # Who was present is not recorded yet: the members are listed to be marked by hand.
    for label in ("Members of the commission:", "AGENDA:", "HEARD:", "DECIDED:"):
        assert words(app, label) in document
    assert words(app, "%(name)s (chair)", name="Олена Коваленко") in document
    assert "Андрій Мельник" in document and "Ірина Бондар" in document
    # The demo's recusal with its declaration.
    assert "Торік консультував(ла) цю громаду щодо статуту." in document
    # The matrix and the ranking: every admitted application.
    assert all(number in document for number in _numbers(app, demo_contest).values())
    assert words(app, "recused") in document
    assert chain.last_hash in document.flat
    assert words(app, "Chair of the commission") in document
    assert words(app, "Secretary of the commission") in document
    assert document.flat.count("Світлана Гребенюк") >= 2  # present, and signs
    assert_draft(app, document, True)
    assert_numbered(app, document)
    assert_fonts_embedded(document)


def test_the_protocol_prints_the_anchor_of_the_audit_log_and_warns_when_it_was_cut(
    app, client, demo_contest
):
    """SPEC §8: the newest entry's number and hash on paper (an anchor nobody can move back
    in the database), and a warning in the protocol itself when the log was cut."""
    _login(client, ORGANISER)
    url = f"/manage/contests/{demo_contest}/protocol.pdf"
    with app.app_context():
        newest = db.session.scalar(select(models.AuditEntry).order_by(models.AuditEntry.id.desc()))
        number, digest = newest.id, newest.hash
        count = db.session.scalar(select(func.count(models.AuditEntry.id)))
    document = read(client.get(url))
    printed = words(
        app,
        "Entries in the audit log of the system when this protocol is generated: %(count)s; "
        "the last one is entry No. %(number)s, its hash (SHA-256):",
        count=count,
        number=number,
    )
    assert printed in document and digest in document.flat
    assert words(app, "Warning: %(problem)s", problem="").strip() not in document.flat

    with app.app_context(), db.engine.begin() as connection:  # as an intruder would
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        connection.execute(delete(models.AuditEntry).where(models.AuditEntry.id == number))
    cut = read(client.get(url))
    assert "З кінця журналу аудиту видалено записи" in cut.flat
    assert f"контрольна точка вказує на запис {number}" in cut.flat


def test_every_member_can_get_a_signature_line(app, client, demo_contest):
    _login(client, ORGANISER)
    plain = read(client.get(f"/manage/contests/{demo_contest}/protocol.pdf"))
    everyone = read(client.get(f"/manage/contests/{demo_contest}/protocol.pdf?members=1"))
    member = words(app, "Member of the commission")
    assert everyone.flat.count(member) == plain.flat.count(member) + 2


def test_the_protocol_reports_divergences_and_how_they_were_resolved(app, client, build):
    organiser_email = "secretary@example.org"
    jurors = [build.user(Role.JUROR, name=name) for name in ("Марія Строга", "Петро Щедрий")]
    judged = judged_contest(app, build, jurors, count=2, stage=Stage.DELIBERATION)
    criteria = judged.criteria
    low = {criteria["C1"]: "1", criteria["C2"]: "1", criteria["C3"]: "1"}
    high = {criteria["C1"]: "10", criteria["C2"]: "10", criteria["C3"]: "5"}
    set_sheet(app, jurors[0], judged.numbers[0], state=SheetState.SUBMITTED, points=low)
    set_sheet(app, jurors[1], judged.numbers[0], state=SheetState.SUBMITTED, points=high)
    set_sheet(app, jurors[0], judged.numbers[1], state=SheetState.SUBMITTED, points=high)
    set_sheet(
        app,
        jurors[1],
        judged.numbers[1],
        conflict=Conflict.RECUSED,
        declaration="Мій брат працює в цій організації.",
    )
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        application = db.session.scalar(
            select(Application).where(Application.number == judged.numbers[0])
        )
        db.session.add(
            Decision(
                contest_id=contest.id,
                kind=DecisionKind.DIVERGENCE,
                application_id=application.id,
                reason="Оцінки перевірено: обидві обґрунтовані коментарями.",
            )
        )
        secretary = User(email=organiser_email, name="Оксана Секретар", role=Role.ORGANISER)
        secretary.set_password("correct horse battery")
        contest.organisers.append(secretary)
        db.session.commit()
    client.login(organiser_email)
    document = read(client.get(f"/manage/contests/{judged.slug}/protocol.pdf"))
    assert "Оцінки перевірено: обидві обґрунтовані коментарями." in document
    assert "Мій брат працює в цій організації." in document
    # Totals: 1 + 1.5 + 1 = 3.5 and 10 + 15 + 5 = 30; their mean 16.75; spread 26.5.
    assert "3,50" in document and "30,00" in document and "16,75" in document
    assert "26,50" in document
    # The second application has one sheet, below the quorum of 2: listed, not ranked.
    assert words(app, "Not ranked") in document
    assert "Оксана Секретар" in document


# --- Scoresheets -----------------------------------------------------------------------


def test_the_organiser_prints_submitted_scoresheets_all_or_one_applications(
    app, client, demo_contest
):
    numbers = _numbers(app, demo_contest)
    _login(client, ORGANISER)
    everything = read(client.get(f"/manage/contests/{demo_contest}/scoresheets.pdf"))
    with app.app_context():
        submitted = db.session.scalar(
            select(func.count()).where(Scoresheet.state == SheetState.SUBMITTED)
        )
    assert submitted == 31 and len(everything.pages) == submitted  # a page per sheet
    number = numbers[FIRST]
    response = client.get(f"/manage/contests/{demo_contest}/scoresheets.pdf?application={number}")
    assert_attachment(response, f"scoresheets-{number}.pdf")
    one = read(response)
    assert number in one and FIRST in one
    assert "Олена Коваленко" in one and "Андрій Мельник" not in one  # he recused
    assert "Ірина Бондар" in one
    other = numbers["Вознесенська міська рада"]
    assert other not in one
    assert_draft(app, one, True)
    assert_numbered(app, one)
    assert_fonts_embedded(one)
    missing = f"/manage/contests/{demo_contest}/scoresheets.pdf?application=UUG-1999-999"
    assert client.get(missing).status_code == 404


def test_blank_scoresheets_follow_the_columns_of_import_scores(app, client, demo_contest):
    number = _numbers(app, demo_contest)[FIRST]
    _login(client, ORGANISER)
    url = f"/manage/contests/{demo_contest}/scoresheets.pdf?application={number}&blank=1"
    response = client.get(url)
    assert_attachment(response, f"blank-scoresheets-{number}.pdf")
    document = read(response)
    header = document.flat
    for column in ("application", "juror", "criterion", "score", "comment"):
        assert column in header
    for code in ("C1", "C2", "C3", "C4", "C5", "C6"):
        assert code in document
    # The jurors assigned and not recused get a form each, with their e-mail printed.
    assert "olena.kovalenko@demo.example" in header.replace(" ", "")
    assert "iryna.bondar@demo.example" in header.replace(" ", "")
    assert "andrii.melnyk@demo.example" not in header.replace(" ", "")
    assert_draft(app, document, False)  # a form to fill in is not a draft of anything
    assert_fonts_embedded(document)


def test_a_juror_downloads_their_own_submitted_sheet(app, client, build):
    juror = build.user(Role.JUROR, email="juror@example.org", name="Олена Суддя")
    other = build.user(Role.JUROR, email="other@example.org")
    judged = judged_contest(app, build, [juror, other], count=3)
    points = {judged.criteria["C1"]: "7", judged.criteria["C2"]: "8", judged.criteria["C3"]: "4.5"}
    comments = {judged.criteria["C2"]: "Мешканців залучено на кожному етапі."}
    set_sheet(
        app,
        juror,
        judged.numbers[0],
        state=SheetState.SUBMITTED,
        points=points,
        comments=comments,
    )
    set_sheet(app, juror, judged.numbers[1], conflict=Conflict.RECUSED, declaration="Родич.")
    client.login("juror@example.org")
    page = client.get(judged.url(judged.numbers[0])).get_data(as_text=True)
    pdf_url = judged.url(judged.numbers[0], "/scoresheet.pdf")
    assert f'href="{pdf_url}"' in page
    response = client.get(pdf_url)
    assert_attachment(response, f"scoresheet-{judged.numbers[0]}.pdf")
    document = read(response)
    assert "Мешканців залучено на кожному етапі." in document
    assert "Олена Суддя" in document and "4,5" in document
    assert "23,50" in document  # 7 + 1.5 × 8 + 4.5
    assert "Таємниця" in document  # not a blind contest: the applicant is named
    assert_fonts_embedded(document)
    assert_numbered(app, document)
    # Recused, or not yet declared: no sheet.
    assert client.get(judged.url(judged.numbers[1], "/scoresheet.pdf")).status_code == 404
    assert client.get(judged.url(judged.numbers[2], "/scoresheet.pdf")).status_code == 404
    client.submit("/logout")
    client.login("other@example.org")
    assert client.get(pdf_url).status_code == 404  # undeclared for the other juror


def test_in_a_blind_contest_the_jurors_sheet_does_not_name_the_applicant(app, client, build):
    juror = build.user(Role.JUROR, email="juror@example.org")
    judged = judged_contest(app, build, [juror], count=1, blind=True)
    set_sheet(app, juror, judged.numbers[0])
    client.login("juror@example.org")
    document = read(client.get(judged.url(judged.numbers[0], "/scoresheet.pdf")))
    assert judged.numbers[0] in document and "Таємниця" not in document


# --- Receipt ---------------------------------------------------------------------------


@pytest.fixture
def receipt_case(app, build):
    """An open contest with a submitted application of ГО «Світанок»; its number and ids."""
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    contest_id = build.contest(organisers=[organiser], number_prefix="UUG", blind=True)
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.questions = questions()
        db.session.commit()
    applicant = build.applicant(email="owner@example.org", name="ГО «Світанок»")
    with app.app_context():
        organisation_id = db.session.get(User, applicant).organisation_id
    number = submitted_application(app, contest_id, organisation_id)
    return number, contest_id


def test_the_applicant_downloads_a_receipt_with_the_files_hashes(app, client, receipt_case):
    number, _contest_id = receipt_case
    url = f"/applications/{number}/receipt.pdf"
    assert client.get(url).status_code == 302  # to the login page
    client.login("owner@example.org")
    page = client.get(f"/applications/{number}").get_data(as_text=True)
    assert f'href="{url}"' in page
    response = client.get(url)
    assert_attachment(response, f"receipt-{number}.pdf")
    document = read(response)
    assert number in document and "ГО «Світанок»" in document
    assert "рішення.pdf" in document and "0" * 32 in document.flat
    assert words(app, "%(size)s B", size=len(PDF)) in document
    assert "Опис проєкту" in document
    assert words(app, "%(moment)s (Kyiv time)", moment="2 березня 2026 р., 12:00") in document
    assert_draft(app, document, False)  # a receipt is never a draft
    assert_numbered(app, document)
    assert_fonts_embedded(document)


def test_the_receipt_follows_who_may_see_the_application(app, client, build, receipt_case):
    number, contest_id = receipt_case
    url = f"/applications/{number}/receipt.pdf"
    client.login("org@example.org")  # an organiser of the contest
    assert client.get(url).status_code == 200
    client.submit("/logout")
    build.applicant(email="rival@example.org")
    client.login("rival@example.org")
    assert client.get(url).status_code == 404
    client.submit("/logout")
    juror = build.user(Role.JUROR, email="juror@example.org")
    assign_juror(app, number, juror)
    client.login("juror@example.org")
    assert client.get(url).status_code == 404  # a blind contest hides the applicant
    client.submit("/logout")
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.number == number))
        application.state, application.submitted_at = ApplicationState.DRAFT, None
        db.session.commit()
    client.login("owner@example.org")
    assert client.get(url).status_code == 404  # withdrawn to a draft: nothing to confirm
    assert client.get("/applications/NOPE-1/receipt.pdf").status_code == 404


def test_the_receipt_lists_every_file_with_its_size_and_sha256(app, client, receipt_case):
    number, _contest_id = receipt_case
    content = b"%PDF-1.4\n" + "Кошторис".encode() * 200
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.number == number))
        application.attachments.append(
            Attachment(
                filename="Кошторис проєкту.pdf",
                content_type="application/pdf",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )
        db.session.commit()
    client.login("owner@example.org")
    document = read(client.get(f"/applications/{number}/receipt.pdf?lang=en"))
    digest = hashlib.sha256(content).hexdigest()
    assert digest in document.flat.replace(" ", "")
    assert "Кошторис проєкту.pdf" in document
    assert "3 KB" in document  # 3,209 bytes, in English
    assert_numbered(app, document, "en")


# --- Certificates ----------------------------------------------------------------------


def test_certificates_are_for_winners_only(app, client, build, demo_contest):
    numbers = _numbers(app, demo_contest)
    base_url = f"/manage/contests/{demo_contest}/certificates"
    _login(client, ORGANISER)
    response = client.get(f"{base_url}/{numbers[FIRST]}.pdf")
    assert_attachment(response, f"certificate-{numbers[FIRST]}.pdf")
    document = read(response)
    assert FIRST in document and f"«Успішна участь громади {demo_contest[-4:]}»" in document
    assert words(app, "place %(place)s", place=1) in document
    assert "Олена Коваленко" in document  # the chair signs
    assert_draft(app, document, True)
    assert_certificate_page(app, document)
    assert_fonts_embedded(document)
    assert client.get(f"{base_url}/{numbers['Вознесенська міська рада']}.pdf").status_code == 404
    assert client.get(f"{base_url}/{numbers[TIED[0]]}.pdf").status_code == 404  # undecided
    assert client.get(f"{base_url}/UUG-1999-001.pdf").status_code == 404
    client.submit("/logout")
    build.user(Role.ORGANISER, email="stranger@example.org")
    client.login("stranger@example.org")
    assert client.get(f"{base_url}/{numbers[FIRST]}.pdf").status_code == 404


def test_after_publication_the_certificate_is_final(app, client, demo_contest):
    _publish(app, demo_contest, TIED[0])
    number = _numbers(app, demo_contest)[TIED[0]]
    _login(client, ORGANISER)
    document = read(client.get(f"/manage/contests/{demo_contest}/certificates/{number}.pdf"))
    assert TIED[0] in document and words(app, "place %(place)s", place=5) in document
    assert "15 вересня 2026 р." in document
    assert_draft(app, document, False)


def test_the_dashboard_links_the_documents(app, client, demo_contest):
    _login(client, ORGANISER)
    page = client.get(f"/manage/contests/{demo_contest}").get_data(as_text=True)
    for url in (
        f"/contests/{demo_contest}/results.pdf",
        f"/manage/contests/{demo_contest}/protocol.pdf",
        f"/manage/contests/{demo_contest}/protocol.pdf?members=1",
        f"/manage/contests/{demo_contest}/scoresheets.pdf",
        f"/manage/contests/{demo_contest}/scoresheets.pdf?blank=1",
        f"/contests/{demo_contest}/results.pdf?lang=en",
    ):
        assert f'href="{url}"' in page.replace("&amp;", "&")
    assert "/certificates/" not in page  # still judging: no winners yet
    _publish(app, demo_contest, TIED[0])
    page = client.get(f"/manage/contests/{demo_contest}").get_data(as_text=True)
    assert page.count(f"/manage/contests/{demo_contest}/certificates/") == 5


# --- Command line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "extra", "name"),
    [
        ("announcement", [], "results-{slug}.pdf"),
        ("protocol", [], "protocol-{slug}.pdf"),
        ("scoresheets", [], "scoresheets-{slug}.pdf"),
        ("scoresheets", ["--application", "{first}", "--blank"], "blank-scoresheets-{first}.pdf"),
        ("receipt", ["--application", "{first}"], "receipt-{first}.pdf"),
        ("certificate", ["--application", "{first}"], "certificate-{first}.pdf"),
    ],
)
def test_pdf_command_writes_each_kind_to_a_default_name(
    app, runner, demo_contest, monkeypatch, tmp_path, kind, extra, name
):
    first = _numbers(app, demo_contest)[FIRST]
    monkeypatch.chdir(tmp_path)
    args = ["pdf", demo_contest, kind, *(a.format(first=first) for a in extra)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    path = tmp_path / name.format(slug=demo_contest, first=first)
    assert str(path) in result.output
    document = Document(path.read_bytes())
    assert FIRST in document
    assert_fonts_embedded(document)
    if kind == "certificate":
        assert_certificate_page(app, document)
    else:
        assert_numbered(app, document)


def test_pdf_command_in_english_into_a_named_file(app, runner, demo_contest, tmp_path):
    target = tmp_path / "out" / "protocol.pdf"
    target.parent.mkdir()
    result = runner.invoke(args=["pdf", demo_contest, "protocol", "--lang", "en", "-o", target])
    assert result.exit_code == 0, result.output
    document = Document(target.read_bytes())
    assert "Successful Community Participation" in document and "Kharkiv Oblast" in document
    assert_numbered(app, document, "en")
    assert_draft(app, document, True, "en")


def test_pdf_command_errors(app, runner, demo_contest, tmp_path):
    numbers = _numbers(app, demo_contest)
    out = ["-o", str(tmp_path / "x.pdf")]

    def fails(*args, code=1):
        result = runner.invoke(args=["pdf", *args, *out])
        assert result.exit_code == code, result.output
        assert not (tmp_path / "x.pdf").exists()
        return result.output

    assert "nope" in fails("nope", "protocol")
    assert "diploma" in fails(demo_contest, "diploma", code=2)
    assert "--application" in fails(demo_contest, "receipt")
    assert "--application" in fails(demo_contest, "certificate")
    assert "--application" in fails(demo_contest, "protocol", "--application", numbers[FIRST])
    assert "UUG-1999-001" in fails(demo_contest, "receipt", "--application", "UUG-1999-001")
    loser = numbers["Вознесенська міська рада"]
    assert loser in fails(demo_contest, "certificate", "--application", loser)
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.number == loser))
        application.state, application.submitted_at = ApplicationState.DRAFT, None
        db.session.commit()
    assert loser in fails(demo_contest, "receipt", "--application", loser)
    assert loser in fails(demo_contest, "scoresheets", "--application", loser)


def test_without_the_fonts_the_command_says_how_to_get_them(
    make_app, demo_contest, monkeypatch, tmp_path
):
    monkeypatch.setattr(fonts, "FONT_DIRS", ())
    app = make_app(PDF_FONT_DIR=str(tmp_path))  # a folder without the fonts
    result = app.test_cli_runner().invoke(
        args=["pdf", demo_contest, "announcement", "-o", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 1
    assert "fonts-dejavu-core" in result.output and "PDF_FONT_DIR" in result.output
    assert str(tmp_path) in result.output


def test_the_pdf_command_has_help(runner):
    result = runner.invoke(args=["pdf", "--help"])
    assert result.exit_code == 0
    for word in ("announcement", "protocol", "scoresheets", "receipt", "certificate", "--lang"):
        assert word in result.output


def test_generation_time_is_in_the_footer(app, client, demo_contest, clock_at):
    _login(client, ORGANISER)
    clock_at(datetime(2026, 9, 15, 15, 0, tzinfo=UTC))  # 18:00 in Kyiv
    document = read(client.get(f"/contests/{demo_contest}/results.pdf"))
    moment = words(app, "Generated %(moment)s (Kyiv time)", moment="15 вересня 2026 р., 18:00")
    assert all(moment in text for text in document.pages)


def test_laying_out_the_protocol_tells_its_progress(app, demo_contest):
    heard = []
    with app.test_request_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == demo_contest))
        record = documents.data.protocol(contest, "uk", secretary="Секретар")
        pdf = documents.pdf.protocol.build(
            record, documents.data.font_folder(), lambda *call: heard.append(call)
        )
    assert pdf.startswith(b"%PDF") and len(heard) > 3
    total = heard[-1][1]
    assert heard[-1] == (total, total) and all(done <= total for done, _t in heard)


# --- Long documents made in the background, with their progress --------------------------


def test_a_long_document_is_made_in_the_background_and_tells_its_progress(
    app, client, build, demo_contest, monkeypatch
):
    written = []  # every state the job wrote, as the script would read them in turn
    real_write = jobs._write

    def write(path, state):
        written.append(state)
        real_write(path, state)

    monkeypatch.setattr(jobs, "_write", write)
    go_on = threading.Event()  # the layout waits until the test has looked at the job
    lay_out = documents.pdf.protocol.build

    def held(*args):
        go_on.wait(timeout=60)
        return lay_out(*args)

    monkeypatch.setattr(documents.pdf.protocol, "build", held)
    _login(client, ORGANISER)
    url = f"/manage/contests/{demo_contest}/protocol.pdf?members=1"
    token = client.csrf_token(f"/manage/contests/{demo_contest}")
    assert client.post(url).status_code == 400  # a POST without the CSRF token: refused
    started = client.post(url, headers={"X-CSRFToken": token})
    assert started.status_code == 202
    progress = started.get_json()["progress"]
    again = client.post(url, headers={"X-CSRFToken": token})  # asked twice: the same job
    assert again.get_json()["progress"] == progress
    assert client.get(progress).get_json() == {"state": "working", "done": 0, "total": 0}
    assert client.get(f"{progress}/file").status_code == 404  # not made yet
    go_on.set()
    jobs.join()
    laid_out = [s for s in written if s["state"] == "working" and s["total"]]
    assert len(laid_out) >= 3 and laid_out[-1]["done"] <= laid_out[-1]["total"]
    assert [s["done"] for s in laid_out] == sorted(s["done"] for s in laid_out)

    client.submit("/logout")
    build.user(Role.ORGANISER, email="other.organiser@example.org")
    client.login("other.organiser@example.org")  # the job is only its owner's
    assert client.get(progress).status_code == 404
    assert client.get(f"{progress}/file").status_code == 404
    client.submit("/logout")

    _login(client, ORGANISER)
    state = client.get(progress)
    assert state.headers["Cache-Control"] == "private, no-store"
    state = state.get_json()
    assert state["state"] == "ready" and state["done"] == state["total"]
    response = client.get(state["file"])
    assert_attachment(response, f"protocol-{demo_contest}.pdf")
    background = read(response)
    direct = read(client.get(url))  # the link without the script: the same document
    member = words(app, "Member of the commission")
    assert background.flat.count(member) == direct.flat.count(member) > 2
    assert len(background.pages) == len(direct.pages)
    again = client.get(state["file"])  # another tab that asked: the same file, a while
    assert again.status_code == 200 and again.data == response.data
    later = jobs._now() + jobs.GRACE + 1
    monkeypatch.setattr(jobs, "_now", lambda: later)
    assert client.get(state["file"]).status_code == 404  # then gone
    assert client.get(progress).status_code == 404


def test_pages_offer_the_long_documents_with_their_progress(client, demo_contest):
    _login(client, ORGANISER)
    for page in (f"/manage/contests/{demo_contest}", f"/manage/contests/{demo_contest}/ranking"):
        html = client.get(page).get_data(as_text=True)
        assert re.search(r'href="[^"]*/protocol\.pdf"[^>]*data-progress', html), page
        assert 'id="document-progress"' in html and "js/progress." in html


def test_a_diploma_names_the_place_among_the_winners(app, client, runner, build, tmp_path):
    # SPEC §16: the second winner is ranked 3rd, because the 2nd cannot win (its mean on
    # C1 is below the minimum): its diploma says «2 місце», not «3 місце».
    jurors = [build.user(Role.JUROR, name=f"Член журі {i}") for i in range(2)]
    judged = judged_contest(app, build, jurors, stage=Stage.DELIBERATION, winners=2)
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        contest.criteria[0].min_points = 5
        organiser = contest.organisers[0].email
        db.session.commit()
    c = judged.criteria
    points = [("9", "9", "5"), ("2", "10", "5"), ("6", "7", "4")]  # totals 27.5, 22, 20.5
    for number, (c1, c2, c3) in zip(judged.numbers, points, strict=True):
        for juror in jurors:
            set_sheet(
                app,
                juror,
                number,
                state=SheetState.SUBMITTED,
                points={c["C1"]: c1, c["C2"]: c2, c["C3"]: c3},
            )
    first, skipped, second = judged.numbers
    client.login(organiser)
    base_url = f"/manage/contests/{judged.slug}"
    diploma = read(client.get(f"{base_url}/certificates/{second}.pdf"))
    assert words(app, "place %(place)s", place=2) in diploma
    assert words(app, "place %(place)s", place=3) not in diploma
    assert client.get(f"{base_url}/certificates/{skipped}.pdf").status_code == 404
    assert words(app, "place %(place)s", place=1) in read(
        client.get(f"{base_url}/certificates/{first}.pdf")
    )
    # The winners' table of the announcement numbers them the same way.
    announcement = read(client.get(f"/contests/{judged.slug}/results.pdf"))
    winners = announcement.flat.split(words(app, "Winners"), 1)[1]
    assert f"1 ГО «Таємниця {judged.slug} 1»" in winners
    assert f"2 ГО «Таємниця {judged.slug} 3»" in winners
    target = tmp_path / "diploma.pdf"
    result = runner.invoke(
        args=["pdf", judged.slug, "certificate", "--application", second, "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert words(app, "place %(place)s", place=2) in Document(target.read_bytes())
