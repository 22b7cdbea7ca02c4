"""Attachments: checked by content and size, kept with their SHA-256, served as downloads
only to the people allowed to see the application (``scoring.access``)."""

import hashlib
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from scoring import access
from scoring.applications.attachments import clean_filename
from scoring.extensions import db
from scoring.models import Application, Attachment, AuditEntry, Conflict, Role, User

from ._applications import (
    JPEG,
    PDF,
    PNG,
    assign_juror,
    question_ids,
    questions,
    submitted_application,
)

APPLICANT = "applicant@example.org"
ORGANISER = "org@example.org"


@pytest.fixture
def organiser(build):
    return build.user(Role.ORGANISER, email=ORGANISER)


def _draft(client, app, build, organiser, **contest_fields) -> tuple[int, dict[str, str]]:
    """A signed-in applicant's draft (English pages) and the names of its fields."""
    contest_id = build.contest(
        organisers=[organiser],
        slug="uchast",
        questions=contest_fields.pop("questions", None) or questions(),
        **contest_fields,
    )
    build.applicant(email=APPLICANT, oblast="UA-14")
    client.login(APPLICANT)
    client.submit("/language", {"language": "en", "next": "/"})
    response = client.submit("/contests/uchast/apply")
    application_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return application_id, question_ids(app, contest_id)


def _upload(client, application_id: int, name: str, data: bytes, filename: str):
    return client.post(
        f"/applications/draft/{application_id}",
        data={
            "csrf_token": client.csrf_token(),
            "action": f"upload:{name}",
            name: (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def _attachments(app) -> list[Attachment]:
    with app.app_context():
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        for row in rows:
            _ = row.content
        db.session.expunge_all()
        return rows


def test_a_pdf_is_kept_with_its_hash_size_and_a_clean_name(client, app, build, organiser):
    application_id, names = _draft(client, app, build, organiser)
    response = _upload(client, application_id, names["decision"], PDF, "../../Рішення №5.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#{names['decision']}")
    (attachment,) = _attachments(app)
    assert attachment.filename == "Рішення №5.pdf"
    assert attachment.content_type == "application/pdf" and attachment.content == PDF
    assert attachment.size == len(PDF)
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    page = client.get(f"/applications/draft/{application_id}").get_data(as_text=True)
    assert "Рішення №5.pdf" in page and f'href="/attachments/{attachment.id}"' in page
    with app.app_context():
        assert "attachment.uploaded" in db.session.scalars(select(AuditEntry.action)).all()


def test_a_renamed_file_posing_as_a_pdf_is_refused_naming_the_field(client, app, build, organiser):
    application_id, names = _draft(client, app, build, organiser)
    response = _upload(client, application_id, names["decision"], PNG, "scan.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{names["decision"]}-errors"' in page
    assert "«Decision of the executive committee»: the file «scan.pdf» is not a real PDF" in page
    assert f'href="#{names["decision"]}"' in page  # listed in the summary too
    executable = _upload(client, application_id, names["decision"], b"MZ\x90\x00", "a.pdf")
    assert "is not a real PDF" in executable.get_data(as_text=True)
    unknown = _upload(client, application_id, names["decision"], b"plain text", "notes.txt")
    assert "is not of an accepted type. Accepted: PDF, JPEG, PNG" in unknown.get_data(as_text=True)
    assert _attachments(app) == []


def test_the_question_narrows_the_contests_types(client, app, build, organiser):
    application_id, names = _draft(
        client, app, build, organiser, questions=questions(file_types=["application/pdf"])
    )
    page = client.get(f"/applications/draft/{application_id}").get_data(as_text=True)
    assert "PDF, at most 10 MB per file." in page
    response = _upload(client, application_id, names["decision"], JPEG, "photo.jpg")
    assert "Accepted: PDF." in response.get_data(as_text=True)
    assert _attachments(app) == []


def test_size_limits_per_file_and_per_application(client, app, build, organiser):
    form = questions()
    form.append(
        type(form[0])(key="photo", label_uk="Фото", label_en="Photo", kind="file", position=5)
    )
    application_id, names = _draft(
        client, app, build, organiser, questions=form, max_file_size=1000, max_total_size=1500
    )
    big = PDF + b"%" * (1001 - len(PDF))
    page = _upload(client, application_id, names["decision"], big, "big.pdf").get_data(as_text=True)
    assert "«Decision of the executive committee»: the file «big.pdf» is larger than" in page
    assert "1000 B allowed for one file" in page
    assert _attachments(app) == []
    fits = PDF + b"%" * (900 - len(PDF))
    assert _upload(client, application_id, names["decision"], fits, "a.pdf").status_code == 302
    page = _upload(client, application_id, names["photo"], PNG + b"\x00" * 700, "b.png")
    text = page.get_data(as_text=True)
    assert "«Photo»: with the file «b.png» the application’s files would take" in text
    assert "more than 1 KB allowed for one application" in text
    # Replacing the first file frees its share of the application's limit.
    assert _upload(client, application_id, names["decision"], PDF, "c.pdf").status_code == 302
    assert _upload(client, application_id, names["photo"], PNG, "b.png").status_code == 302
    assert sorted(a.filename for a in _attachments(app)) == ["b.png", "c.pdf"]


def test_replace_and_remove(client, app, build, organiser):
    application_id, names = _draft(client, app, build, organiser)
    _upload(client, application_id, names["decision"], PDF, "old.pdf")
    _upload(client, application_id, names["decision"], PDF + b"v2", "new.pdf")
    (attachment,) = _attachments(app)
    assert attachment.filename == "new.pdf"
    response = client.submit(
        f"/applications/draft/{application_id}", {"action": f"remove:{attachment.id}"}
    )
    assert response.status_code == 302
    assert _attachments(app) == []
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert actions.count("attachment.uploaded") == 2 and "attachment.removed" in actions


def test_a_request_larger_than_the_server_allows_gets_a_clear_page(make_app, build, organiser):
    app = make_app(MAX_CONTENT_LENGTH=2000)
    client = app.test_client()
    application_id, names = _draft(client, app, build, organiser)
    response = _upload(client, application_id, names["decision"], PDF + b"%" * 5000, "x.pdf")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large" in page
    assert "larger than 1 KB, the most one sending can carry" in page  # 2,000 bytes


# Downloads and who may see them -------------------------------------------------------


def test_downloads_are_attachments_for_the_people_of_the_application(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], questions=questions())
    owner_org = build.organisation(oblast="UA-14")
    number = submitted_application(app, contest_id, owner_org)
    build.user(Role.APPLICANT, email=APPLICANT, organisation_id=owner_org)
    build.applicant(email="other@example.org")
    other_organiser = build.user(Role.ORGANISER, email="other-org@example.org")
    build.contest(organisers=[other_organiser])
    with app.app_context():
        attachment_id = db.session.scalar(select(Attachment.id))
    url = f"/attachments/{attachment_id}"

    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for email, status in [
        (APPLICANT, 200),
        (ORGANISER, 200),
        ("other@example.org", 404),
        ("other-org@example.org", 404),
    ]:
        client.login(email)
        response = client.get(url)
        assert response.status_code == status, email
        if status == 200:
            assert response.data == PDF
            assert response.headers["Content-Type"] == "application/pdf"
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith("attachment;")
            assert "filename*=UTF-8''%D1%80%D1%96%D1%88%D0%B5%D0%BD%D0%BD%D1%8F.pdf" in disposition
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        client.submit("/logout")
    client.login(APPLICANT)
    assert client.get("/attachments/999999").status_code == 404
    assert number


def test_a_drafts_files_are_its_organisations_alone(client, app, build, organiser):
    application_id, names = _draft(client, app, build, organiser)
    _upload(client, application_id, names["decision"], PDF, "draft.pdf")
    (attachment,) = _attachments(app)
    assert client.get(f"/attachments/{attachment.id}").status_code == 200
    client.submit("/logout")
    client.login(ORGANISER)
    assert client.get(f"/attachments/{attachment.id}").status_code == 404


def test_can_view_follows_the_roles_and_recusals(app, build, organiser):
    contest_id = build.contest(organisers=[organiser], questions=questions())
    owner_org = build.organisation()
    number = submitted_application(app, contest_id, owner_org)
    owner = build.user(Role.APPLICANT, organisation_id=owner_org)
    colleague = build.user(Role.APPLICANT, organisation_id=owner_org)
    stranger = build.applicant()
    other_organiser = build.user(Role.ORGANISER)
    juror, recused, undeclared, unassigned = (build.user(Role.JUROR) for _ in range(4))
    assign_juror(app, number, juror)
    assign_juror(app, number, recused, Conflict.RECUSED)
    assign_juror(app, number, undeclared, Conflict.UNDECLARED)
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.number == number))

        def sees(user_id):
            return access.can_view(application, db.session.get(User, user_id))

        assert sees(owner) and sees(colleague) and sees(organiser) and sees(juror)
        # The content opens only once the juror has declared no conflict (SPEC §11).
        assert not sees(undeclared)
        assert not sees(stranger) and not sees(other_organiser)
        assert not sees(recused) and not sees(unassigned)

        class Anonymous:
            is_authenticated = False

        assert not access.can_view(application, Anonymous())
        application.state = "draft"
        application.submitted_at = None
        assert sees(owner) and not sees(organiser) and not sees(juror)
        db.session.rollback()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("C:\\Users\\Марина\\Рішення.pdf", "Рішення.pdf"),
        ("../../etc/passwd", "passwd"),
        ("звіт\u202efdp.exe", "звітfdp.exe"),  # a right-to-left override hides nothing
        ('a<b>:"c"|?*.png', "a_b___c____.png"),
        ("  many   spaces .pdf ", "many spaces .pdf"),
        ("", "file.pdf"),
        ("...", "file.pdf"),
        ("я" * 300 + ".pdf", "я" * 146 + ".pdf"),
    ],
)
def test_file_names_are_cleaned_for_display_and_download(given, expected):
    assert clean_filename(given, "application/pdf") == expected


def test_the_upload_time_is_recorded_in_utc(client, app, build, organiser, clock_at):
    clock_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    application_id, names = _draft(client, app, build, organiser)
    _upload(client, application_id, names["decision"], PDF, "a.pdf")
    (attachment,) = _attachments(app)
    assert attachment.uploaded_at == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
