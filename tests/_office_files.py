"""Files as Ukrainian offices make them (SPEC §15), for the import tests (not a test module).

- ``excel_1251``: what Ukrainian Excel writes for «CSV (розділювачі — коми)» with the
  Ukrainian regional settings: Windows-1251, semicolons, CR LF, quotes only where a cell
  needs them, EDRPOU codes without their leading zeros (the cell was a number).
- ``excel_utf8``: Excel's «CSV UTF-8»: a byte-order mark, then the same as above, or
  with commas when the regional settings say so.
- ``google_forms``: a Google Forms response sheet downloaded as CSV: UTF-8 without a
  mark, commas, every cell of text quoted when it needs it, the form's own headings
  («Позначка часу», «Назва організації», «Електронна адреса»), the answers as people
  chose them («Громадська організація», «Харківська область») and a question the
  import does not read.
- ``excel_unicode_text``: Excel's «Текст у Юнікоді»: UTF-16 with its mark, tabs.
"""

import csv
import io
from dataclasses import dataclass

from scoring import edrpou


def code(n: int) -> str:
    """A valid EDRPOU code (with leading zeros: 0032xxxx)."""
    return edrpou.complete(f"{320000 + n:07d}")


@dataclass(frozen=True)
class Applicant:
    organisation: str
    kind: str  # community, ngo
    kind_label: str  # as a form offers it
    edrpou: str
    oblast: str
    oblast_label: str
    community: str
    email: str
    title: str


APPLICANTS = [
    Applicant(
        "ГО «Світанок; Харків»",
        "ngo",
        "Громадська організація",
        code(1),
        "UA-63",
        "Харківська область",
        "Балаклійська міська територіальна громада",
        "Svitanok@Example.org",
        "Школа активного мешканця: «Громада — це ми»",
    ),
    Applicant(
        "Апостолівська міська рада",
        "community",
        "Територіальна громада",
        code(2),
        "UA-12",
        "Дніпропетровська область",
        "Апостолівська міська територіальна громада",
        "rada@apostolove.example",
        "Бюджет участі для молоді, № 2",
    ),
    Applicant(
        "БФ «Ґражда та Її Друзі»",
        "ngo",
        "ГО",
        code(3),
        "UA-46",
        "Львівська",
        "Белзька міська територіальна громада",
        "hrazhda@example.org",
        'Об’єднані "сусідським" центром',
    ),
]
HEADER = ["number", "organisation", "kind", "edrpou", "oblast", "community", "email", "title"]
FORM_HEADER = [
    "Позначка часу",
    "Назва організації",
    "Тип заявника",
    "Код ЄДРПОУ",
    "Область",
    "Громада",
    "Електронна адреса",
    "Назва проєкту",
    "Чому ви хочете взяти участь?",
]


def _csv(rows: list[list], delimiter: str, quoting=csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=quoting)
    writer.writerows(rows)
    return out.getvalue()


def applications_rows(applicants=APPLICANTS) -> list[list[str]]:
    """Our columns, as an organiser fills in the template in a spreadsheet."""
    rows = [list(HEADER)]  # a copy: a test may change a heading
    for a in applicants:
        # Excel keeps an EDRPOU code typed into a General cell as a number: no zeros.
        rows.append(
            ["", a.organisation, a.kind, a.edrpou.lstrip("0"), a.oblast, a.community]
            + [a.email, a.title]
        )
    return rows


def excel_1251(rows: list[list]) -> bytes:
    return _csv(rows, ";").encode("cp1251")


def excel_utf8(rows: list[list], delimiter: str = ";") -> bytes:
    return b"\xef\xbb\xbf" + _csv(rows, delimiter).encode("utf-8")


def excel_unicode_text(rows: list[list]) -> bytes:
    return _csv(rows, "\t").encode("utf-16")


def google_forms(applicants=APPLICANTS) -> bytes:
    rows = [list(FORM_HEADER)]
    for n, a in enumerate(applicants, start=1):
        rows.append(
            [
                f"0{n}.03.2026 10:1{n}:32",
                a.organisation,
                a.kind_label,
                a.edrpou,
                a.oblast_label,
                a.community,
                a.email,
                a.title,
                "Хочемо, щоб мешканці, зокрема ВПО, вирішували разом.",
            ]
        )
    return _csv(rows, ",").encode("utf-8")


SCORES_HEADER = ["application", "juror", "criterion", "score", "comment"]


def paper_scores(numbers: list[str], email: str) -> list[list[str]]:
    """One juror's paper sheets typed in by a secretary: decimal commas, comments with
    semicolons and quotes. C1 (0..10 by 1), C2 (0..10 by 1), C3 (0..5 by 0.5)."""
    rows = [SCORES_HEADER]
    for n, number in enumerate(numbers):
        rows += [
            [number, email, "C1", str(7 + n % 3), "Актуально; добре обґрунтовано"],
            [number, email, "C2", "8", 'Залучено "активних" мешканців'],
            [number, email, "C3", "4,5", ""],
        ]
    return rows


def kept_upload(app, user_id, contest_id, kind, data, *, token=None, checked=False) -> str:
    """A file uploaded for an import by ``user_id``, as the upload page keeps it (the
    columns as proposed); with ``checked``, its check passed. ``token`` fixes its address
    (a scenario built again keeps it). Returns the token."""
    import shutil

    from scoring import clock
    from scoring.extensions import db
    from scoring.imports import kinds, uploads
    from scoring.models import Contest

    with app.app_context():
        upload = uploads.save(user_id, contest_id, kind, "file.csv", data, kinds.read(kind, data))
        if token is not None:
            shutil.rmtree(uploads.folder() / token, ignore_errors=True)
            (uploads.folder() / upload.token).rename(uploads.folder() / token)
            upload.token = token
        if kind in kinds.CSV_KINDS:
            contest = db.session.get(Contest, contest_id)
            upload.columns = kinds.propose(kind, contest, upload.facts["header"])
        uploads.write(upload)
        if checked:
            job = {"action": "check", "state": "passed", "done": 1, "total": 1}
            job |= {"reported_at": clock.now().isoformat(), "summary": ["Перевірено."]}
            uploads.write_json(upload, "job.json", job)
        return upload.token
