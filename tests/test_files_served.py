"""Files as they leave the app (SPEC §8, issue 12): what a juror of a blind contest gets,
under which name every file is stored and served, and who gets a receipt.

Real PDF, JPEG and PNG files carrying the metadata an office's software leaves in them
are made with pikepdf and Pillow (``tests/_files.py``); the bytes served are searched
for the names in every encoding a PDF or an image may hold them in, and opened again
to see that the content itself is intact.
"""

import hashlib
import io
from urllib.parse import quote

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Application, Attachment, Contest, Role

from . import _files
from ._applications import assign_juror, question_ids, questions, submitted_application
from ._judging import judged_contest, set_sheet

JUROR = "juror@example.org"
APPLICANT = "applicant@example.org"
ORGANISER = "org@example.org"
KINDS = {
    "pdf": ("application/pdf", _files.pdf, "Статут ГО.pdf"),
    "jpeg": ("image/jpeg", _files.jpeg, "Фото громади.jpg"),
    "png": ("image/png", _files.png, "Схема.png"),
}


def _put_file(app, number: str, content: bytes, content_type: str, filename: str) -> int:
    """The application's attachment replaced by ``content``, directly; its id."""
    with app.app_context():
        attachment = db.session.scalar(
            select(Attachment).join(Application).where(Application.number == number)
        )
        attachment.content, attachment.content_type = content, content_type
        attachment.filename, attachment.size = filename, len(content)
        attachment.sha256 = hashlib.sha256(content).hexdigest()
        db.session.commit()
        return attachment.id


@pytest.fixture
def juror(build, client):
    user_id = build.user(Role.JUROR, email=JUROR, name="Олена Суддя")
    client.login(JUROR)
    client.submit("/language", {"language": "en", "next": "/"})
    return user_id


def _organiser_of(app, slug: str) -> str:
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        return contest.organisers[0].email


# Blind contests: metadata stripped for the jurors ----------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_blind_contests_juror_gets_the_file_without_who_made_it(app, build, client, juror, kind):
    content_type, make, filename = KINDS[kind]
    original = make(metadata=True)
    assert len(_files.names_in(original)) == len(_files.NAMES)  # the names are really there
    judged = judged_contest(app, build, [juror], count=1, blind=True)
    number = judged.numbers[0]
    attachment_id = _put_file(app, number, original, content_type, filename)
    set_sheet(app, juror, number)

    response = client.get(judged.url(number, f"/attachments/{attachment_id}"))
    assert response.status_code == 200 and response.mimetype == content_type
    served = response.data
    assert _files.names_in(served) == []
    if kind == "pdf":
        with pikepdf.open(io.BytesIO(served)) as pdf:
            assert len(pdf.pages) == 1 and dict(pdf.docinfo) == {}
            assert "/Metadata" not in pdf.Root
            assert str(pdf.pages[0].Annots[0].Contents) == "Перевірити суму"  # kept
    else:
        with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(served)) as after:
            assert after.format == before.format and after.size == before.size
            assert not {"comment", "xmp", "photoshop", "Author", "Description"} & set(after.info)
            assert dict(after.getexif()) == {}
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={number}-1{filename[filename.rindex('.') :]}"

    # The organisers keep the file as it came.
    client.submit("/logout")
    client.login(_organiser_of(app, judged.slug))
    assert client.get(f"/attachments/{attachment_id}").data == original


def test_a_photo_keeps_its_orientation_when_its_exif_goes(app, build, client, juror):
    original = _files.jpeg(metadata=True, orientation=6)
    judged = judged_contest(app, build, [juror], count=1, blind=True)
    number = judged.numbers[0]
    attachment_id = _put_file(app, number, original, "image/jpeg", "фото.jpg")
    set_sheet(app, juror, number)
    served = client.get(judged.url(number, f"/attachments/{attachment_id}")).data
    assert _files.names_in(served) == []
    with Image.open(io.BytesIO(served)) as image:
        assert dict(image.getexif()) == {0x0112: 6}  # still shown upright


def test_an_open_contests_juror_gets_the_file_as_uploaded(app, build, client, juror):
    original = _files.pdf(metadata=True)
    judged = judged_contest(app, build, [juror], count=1)
    number = judged.numbers[0]
    attachment_id = _put_file(app, number, original, "application/pdf", "Статут.pdf")
    set_sheet(app, juror, number)
    assert client.get(judged.url(number, f"/attachments/{attachment_id}")).data == original


def test_a_file_that_cannot_be_stripped_is_not_shown_to_a_blind_juror(app, build, client, juror):
    """Uploaded before the contest was blind: a damaged PDF is withheld, with a reason."""
    damaged = b"%PDF-1.4\n" + _files.COUNCIL.encode() + b"\n%%EOF\n"
    judged = judged_contest(app, build, [juror], count=1, blind=True)
    number = judged.numbers[0]
    attachment_id = _put_file(app, number, damaged, "application/pdf", "a.pdf")
    set_sheet(app, juror, number)
    response = client.get(judged.url(number, f"/attachments/{attachment_id}"))
    assert response.status_code == 422 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "cannot be opened to remove the details of who made it" in page
    assert _files.COUNCIL not in page


# Blind contests: on upload ---------------------------------------------------------


def _draft(client, app, build, **contest_fields) -> tuple[int, dict[str, str]]:
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    contest_id = build.contest(
        organisers=[organiser], slug="slipyi", questions=questions(), **contest_fields
    )
    build.applicant(email=APPLICANT, oblast="UA-14")
    client.login(APPLICANT)
    client.submit("/language", {"language": "en", "next": "/"})
    response = client.submit("/contests/slipyi/apply")
    return int(response.headers["Location"].rsplit("/", 1)[1]), question_ids(app, contest_id)


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


def _stored(app) -> list[Attachment]:
    with app.app_context():
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        for row in rows:
            _ = row.content
        db.session.expunge_all()
        return rows


def _protected_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_files.pdf(metadata=True))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    return out.getvalue()


def _pdf_with_attachment(on_page: bool = False) -> bytes:
    """A PDF carrying another file, as a word processor's «hybrid PDF» carries its source."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_files.pdf())) as pdf:
        spec = pikepdf.AttachedFileSpec(pdf, b"Author: Petro Petrenko", filename="source.odt")
        if on_page:
            note = pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.FileAttachment,
                Rect=[0, 0, 20, 20],
                FS=spec.obj,
            )
            pdf.pages[0].obj.Annots = pikepdf.Array([pdf.make_indirect(note)])
        else:
            pdf.attachments["source.odt"] = spec
        pdf.save(out)
    return out.getvalue()


# Other ways a PDF carries a file (the outside attack): each is a file specification with
# an embedded stream (/EF), reached from elsewhere than the /EmbeddedFiles name tree or
# a page's /FileAttachment annotation, or a tree a reader still follows though malformed.
SOURCE = b"Author: Petro Petrenko, " + _files.COUNCIL.encode()


def _carrying(where: str, *, encrypted: bool = False) -> bytes:
    """A PDF of two pages carrying ``SOURCE`` as an embedded file, reached from ``where``."""
    from pikepdf import Array, Dictionary, Name, String

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_files.pdf(pages=2))) as pdf:
        stream = pdf.make_indirect(pikepdf.Stream(pdf, SOURCE))
        spec = pdf.make_indirect(
            Dictionary(Type=Name.Filespec, F=String("source.odt"), EF=Dictionary(F=stream))
        )
        page = pdf.pages[1].obj

        def annotation(subtype, **fields):
            note = Dictionary(Type=Name.Annot, Subtype=subtype, Rect=[0, 0, 20, 20], **fields)
            page.Annots = Array([pdf.make_indirect(note)])

        if where == "AF of the document":  # PDF/A-3's associated files
            pdf.Root.AF = Array([spec])
        elif where == "AF of page 2":
            page.AF = Array([spec])
        elif where == "AF of a form XObject":
            form = pikepdf.Stream(pdf, b"")
            form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, [0, 0, 10, 10]
            form.AF = Array([spec])
            page.Resources = Dictionary(XObject=Dictionary(Fx=pdf.make_indirect(form)))
        elif where == "a link that opens it":
            annotation(Name.Link, A=Dictionary(S=Name.GoToE, F=spec, NewWindow=False))
        elif where == "the action on opening":
            pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=spec)
        elif where == "rich media":
            assets = Dictionary(Names=Array([String("source.odt"), spec]))
            annotation(Name.RichMedia, RichMediaContent=Dictionary(Assets=assets))
        elif where == "a tree that is an array":
            pdf.Root.Names = Dictionary(EmbeddedFiles=Array([String("source.odt"), spec]))
        elif where == "a tree with a loop":
            leaf = pdf.make_indirect(Dictionary(Names=Array([String("source.odt"), spec])))
            top = pdf.make_indirect(Dictionary())
            top.Kids = Array([top, leaf])
            pdf.Root.Names = Dictionary(EmbeddedFiles=top)
        elif where == "an annotation of the page tree":
            note = Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[0, 0, 9, 9])
            note.FS = spec
            pdf.Root.Pages.Annots = Array([pdf.make_indirect(note)])
        pdf.save(out, encryption=pikepdf.Encryption(user="", owner="o") if encrypted else False)
    return out.getvalue()


CARRYING = [
    "AF of the document",
    "AF of page 2",
    "AF of a form XObject",
    "a link that opens it",
    "the action on opening",
    "rich media",
    "a tree that is an array",
    "a tree with a loop",
    "an annotation of the page tree",
]


def _without_a_file(kind: str) -> bytes:
    """PDFs that carry no file, though they have annotations or a file specification."""
    from pikepdf import Array, Dictionary, Name, String

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_files.pdf(pages=2))) as pdf:
        page = pdf.pages[1].obj
        web = Dictionary(S=Name.URI, URI=String("https://example.org"))
        if kind == "a link with a stray /FS":
            page.Annots = Array([pdf.make_indirect(Dictionary(
                Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 9, 9], FS=Name.URL, A=web
            ))])  # fmt: skip
        elif kind == "a link to a file on the web":
            remote = Dictionary(FS=Name.URL, F=String("https://example.org/a.pdf"))
            page.Annots = Array([pdf.make_indirect(Dictionary(
                Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 9, 9],
                A=Dictionary(S=Name.GoToR, F=remote, D=Array([0, Name.Fit])),
            ))])  # fmt: skip
        elif kind == "a form field":
            field = pdf.make_indirect(Dictionary(
                Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("name"),
                Rect=[0, 0, 90, 20], P=page,
            ))  # fmt: skip
            page.Annots = Array([field])
            pdf.Root.AcroForm = Dictionary(Fields=Array([field]))
        elif kind == "an empty tree of files":
            pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([])))
            pdf.Root.AF = Array([])
        pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("where", CARRYING)
def test_a_blind_contest_refuses_a_pdf_carrying_a_file_anywhere(client, app, build, where):
    application_id, names = _draft(client, app, build, blind=True)
    response = _upload(client, application_id, names["decision"], _carrying(where), "Р.pdf")
    assert response.status_code == 200, where
    assert "the file «Р.pdf» has other files attached inside it" in response.text
    assert _stored(app) == []


def test_an_encrypted_pdf_opened_without_a_password_is_refused_when_it_carries_a_file(
    client, app, build
):
    application_id, names = _draft(client, app, build, blind=True)
    content = _carrying("AF of the document", encrypted=True)
    response = _upload(client, application_id, names["decision"], content, "Р.pdf")
    assert "has other files attached inside it" in response.text and _stored(app) == []


@pytest.mark.parametrize("where", ["AF of the document", "a link that opens it", "rich media"])
def test_a_pdf_carrying_a_file_stored_before_is_not_given_to_a_blind_juror(
    app, build, client, juror, where
):
    judged = judged_contest(app, build, [juror], count=1, blind=True)
    number = judged.numbers[0]
    attachment_id = _put_file(app, number, _carrying(where), "application/pdf", "a.pdf")
    set_sheet(app, juror, number)
    response = client.get(judged.url(number, f"/attachments/{attachment_id}"))
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "cannot be opened to remove the details of who made it" in response.text


@pytest.mark.parametrize(
    "kind",
    [
        "a link with a stray /FS",
        "a link to a file on the web",
        "a form field",
        "an empty tree of files",
    ],
)
def test_a_blind_contest_takes_a_pdf_that_carries_no_file(client, app, build, kind):
    application_id, names = _draft(client, app, build, blind=True)
    response = _upload(client, application_id, names["decision"], _without_a_file(kind), "Р.pdf")
    assert response.status_code == 302, response.text
    assert len(_stored(app)) == 1


def test_the_form_of_a_blind_contest_warns_before_upload(client, app, build):
    application_id, _names = _draft(client, app, build, blind=True)
    page = client.get(f"/applications/draft/{application_id}").get_data(as_text=True)
    assert 'id="blind-files"' in page
    assert "we remove the author, the title and other hidden details" in page
    assert "or a PDF with other files attached inside it is not accepted" in page
    assert "do not name your organisation, community or people in them" in page


def test_the_form_of_an_open_contest_has_no_such_warning(client, app, build):
    application_id, _names = _draft(client, app, build)
    assert 'id="blind-files"' not in client.get(f"/applications/draft/{application_id}").text


def test_a_blind_contest_keeps_the_uploaded_file_as_it_came(client, app, build):
    application_id, names = _draft(client, app, build, blind=True)
    original = _files.pdf(metadata=True)
    response = _upload(client, application_id, names["decision"], original, "Рішення.pdf")
    assert response.status_code == 302
    (stored,) = _stored(app)
    assert stored.content == original  # the organisers' copy; jurors get theirs stripped


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_protected_pdf(), "is protected with a password"),
        (b"%PDF-1.7\nnot really a PDF\n%%EOF\n", "is damaged and cannot be opened"),
        (_pdf_with_attachment(), "has other files attached inside it"),
        (_pdf_with_attachment(on_page=True), "has other files attached inside it"),
    ],
    ids=["password", "damaged", "attached", "attached-to-a-page"],
)
def test_a_blind_contest_refuses_a_file_it_cannot_strip_and_says_why(
    client, app, build, content, message
):
    application_id, names = _draft(client, app, build, blind=True)
    response = _upload(client, application_id, names["decision"], content, "Рішення.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"«Decision of the executive committee»: the file «Рішення.pdf» {message}" in page
    assert f'href="#{names["decision"]}"' in page
    assert _stored(app) == []


def test_a_blind_contest_refuses_an_image_too_large_to_open(client, app, build):
    """A few kilobytes that would unpack to 100 million pixels: never opened for a juror."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    application_id, names = _draft(client, app, build, blind=True)
    response = _upload(client, application_id, names["decision"], out.getvalue(), "схема.png")
    assert "the image «схема.png» has too many pixels to be opened" in response.text
    assert _stored(app) == []


def test_an_open_contest_accepts_a_protected_pdf_as_before(client, app, build):
    application_id, names = _draft(client, app, build)
    response = _upload(client, application_id, names["decision"], _protected_pdf(), "a.pdf")
    assert response.status_code == 302 and len(_stored(app)) == 1


# File names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("x.svg", "x.pdf"),
        ("pdf_as.html", "pdf_as.pdf"),
        ("file.PDF.exe", "file.PDF"),
        ("Рішення сесії.exe", "Рішення сесії.pdf"),
        ("Протокол від 12.03.2024", "Протокол від 12.03.2024.pdf"),
        ("..\\..\\звіт.html", "звіт.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("звіт\u202efdp.exe", "звітfdp.pdf"),  # a right-to-left override hides nothing
        ("\u200fзвіт.pdf\u200f.js", "звіт.pdf"),  # nor does a right-to-left mark
        ("a\x00b.html", "ab.pdf"),
        (".exe", "exe.pdf"),
    ],
)
def test_a_pdf_is_stored_and_served_under_a_pdf_name(client, app, build, sent, stored):
    application_id, names = _draft(client, app, build)
    response = _upload(client, application_id, names["decision"], _files.pdf(), sent)
    assert response.status_code == 302
    (attachment,) = _stored(app)
    assert attachment.filename == stored and attachment.content_type == "application/pdf"
    download = client.get(f"/attachments/{attachment.id}")
    disposition = download.headers["Content-Disposition"]
    if stored.isascii():
        assert disposition == f"attachment; filename={stored}"
    else:
        assert f"filename*=UTF-8''{quote(stored, safe='')}" in disposition
        fallback = disposition.split("filename=", 1)[1].split(";", 1)[0].strip('"')
        assert fallback.isascii() and fallback.endswith(".pdf") and fallback[0].isalnum()


def test_an_image_named_as_another_type_gets_its_own_extension(client, app, build):
    application_id, names = _draft(client, app, build)
    assert (
        _upload(client, application_id, names["decision"], _files.jpeg(), "фото.gif").status_code
        == 302
    )
    (attachment,) = _stored(app)
    assert attachment.filename == "фото.jpg" and attachment.content_type == "image/jpeg"


def test_a_file_stored_under_a_wrong_name_earlier_is_served_under_a_right_one(
    app, build, client, juror
):
    judged = judged_contest(app, build, [juror], count=1)
    number = judged.numbers[0]
    attachment_id = _put_file(app, number, _files.pdf(), "application/pdf", "Статут.svg")
    set_sheet(app, juror, number)
    for url in (
        judged.url(number, f"/attachments/{attachment_id}"),
        f"/attachments/{attachment_id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        disposition = response.headers["Content-Disposition"]
        assert f"filename*=UTF-8''{quote('Статут.pdf', safe='')}" in disposition, url
        assert "svg" not in disposition, url


# Receipts: the applicant's and the organisers' -------------------------------------


def test_a_receipt_with_the_contact_details_is_not_the_jurors(app, build, client):
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    contest_id = build.contest(organisers=[organiser], questions=questions())
    owner_org = build.organisation()
    number = submitted_application(app, contest_id, owner_org)
    build.user(Role.APPLICANT, email=APPLICANT, organisation_id=owner_org)
    juror = build.user(Role.JUROR, email=JUROR)
    assign_juror(app, number, juror)
    url = f"/applications/{number}/receipt.pdf"

    client.login(JUROR)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}?lang=en").status_code == 404
    page = client.get(f"/applications/{number}").get_data(as_text=True)
    assert client.get(f"/applications/{number}").status_code == 200  # the juror judges it
    assert "receipt.pdf" not in page and "+380501234567" not in page
    client.submit("/logout")
    for email in (APPLICANT, ORGANISER):
        client.login(email)
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", email
        assert "receipt.pdf" in client.get(f"/applications/{number}").get_data(as_text=True)
        client.submit("/logout")
