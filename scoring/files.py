"""Uploaded files as they leave the app (SPEC §8): under a name that says what they are
and, for the jurors of a blind contest, without what says who made them.

- ``typed_name``: the name with an extension that matches the type detected from the
  content when the file was uploaded: a PDF sent as «x.svg», «pdf_as.html» or
  «file.PDF.exe» is stored and served as «x.pdf», «pdf_as.pdf», «file.PDF»; the rest of
  the name (Ukrainian, spaces and all) stays as it was.
- ``disposition``: the ``Content-Disposition`` of a download under that name: the
  name itself in UTF-8 (``filename*``, which browsers use) and a plain ASCII one for old
  clients, never empty or a bare extension.
- ``without_metadata``: a PDF, JPEG or PNG without its author, creator, producer,
  title, subject, keywords and the like: a PDF's document information, its XMP (of the
  document and of every object), the authors of its comments; an image's EXIF (but its
  orientation), XMP, IPTC, comments and text chunks. The content itself (pages, pixels)
  stays; in a JPEG it is encoded again with the same quantisation tables. A PDF with
  files attached inside it (a word processor's source, say, with its author) cannot be
  made safe without losing them: it is ``Unreadable`` ("attached").

Metadata is stripped when a juror of a blind contest downloads a file, not on upload:
the organisers keep the file as it came, one copy is stored, and a contest made blind
after the uploads is covered as well. On upload to a blind contest the same function
is tried, so that a file it cannot read (damaged, protected with a password, an image
too large to open) is refused there with its reason (``refusal``) instead of reaching
a juror.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from urllib.parse import quote

from flask_babel import lazy_gettext as _l
from werkzeug.http import dump_options_header

EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
# What is taken for an extension to replace: letters and digits after the last dot,
# at least one a Latin letter («x.svg», «a.PDF.exe»; not «від 12.03.2024», «v1.2»).
_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,10}$")
# Keys of a PDF object that name people or the software they used.
_PDF_KEYS = ("/Metadata", "/PieceInfo")
# Annotations whose /T is the name of the author of a comment (a widget's is a field name).
_NOT_MARKUP = ("/Widget", "/Link", "/Popup")
EXIF_ORIENTATION = 0x0112


class Unreadable(Exception):
    """The file cannot be opened to strip its metadata; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def typed_name(name: str, content_type: str) -> str:
    """``name`` ending in an extension of ``content_type`` (unchanged when it does)."""
    known = EXTENSIONS.get(content_type)
    if not known or name.lower().endswith(known):
        return name
    stem = _EXTENSION.sub("", name) or name
    return stem if stem.lower().endswith(known) else stem + known[0]


def disposition(name: str) -> str:
    """``attachment`` under ``name``: UTF-8 for browsers, ASCII letters for old clients."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = " ".join(re.sub(r"[^A-Za-z0-9 _.,()-]", "", plain).split())
    stem, dot, extension = plain.rpartition(".")
    fallback = (stem if dot else plain).strip(" .") or "file"
    fallback += dot + extension if dot else ""
    names = {"filename": fallback}
    if fallback != name:
        names["filename*"] = f"UTF-8''{quote(name, safe='')}"
    return dump_options_header("attachment", names)


def refusal(error: Unreadable, field: str, file: str):
    """The applicant's message: why the upload to a blind contest is refused."""
    reason = error.reason
    if reason == "password":
        return _l(
            "«%(field)s»: the file «%(file)s» is protected with a password. In this contest "
            "the jurors must not learn who applied, and we cannot remove the author and "
            "other details from a protected file: save it without a password and upload "
            "it again.",
            field=field,
            file=file,
        )
    if reason == "attached":
        return _l(
            "«%(field)s»: the file «%(file)s» has other files attached inside it, and they "
            "may say who made them. In this contest the jurors must not learn who applied: "
            "save the PDF without its attachments (for example, print it to PDF) and upload "
            "the attached files on their own.",
            field=field,
            file=file,
        )
    if reason == "too large":
        return _l(
            "«%(field)s»: the image «%(file)s» has too many pixels to be opened. Make it "
            "smaller and upload it again.",
            field=field,
            file=file,
        )
    return _l(
        "«%(field)s»: the file «%(file)s» is damaged and cannot be opened. In this contest "
        "we remove the author and other details from every file before the jurors see it: "
        "save the file again (or scan it anew) and upload it.",
        field=field,
        file=file,
    )


def without_metadata(content: bytes, content_type: str) -> bytes:
    """``content`` without identifying metadata; raises ``Unreadable``."""
    if content_type == "application/pdf":
        return _pdf(content)
    if content_type in ("image/jpeg", "image/png"):
        return _image(content, content_type)
    raise Unreadable("type")


def _pdf(content: bytes) -> bytes:
    import pikepdf  # only here: most requests never need it
    from pikepdf import StreamDecodeLevel

    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for item in pdf.objects:
                if isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
                    for key in _PDF_KEYS:
                        if key in item:
                            del item[key]
            if _carries_a_file(pdf):
                raise Unreadable("attached")
            for page in pdf.pages:
                notes = page.obj.get("/Annots")
                for note in notes if isinstance(notes, pikepdf.Array) else ():
                    markup = isinstance(note, pikepdf.Dictionary) and "/T" in note
                    if markup and note.get("/Subtype") not in _NOT_MARKUP:
                        del note["/T"]
            out = io.BytesIO()
            # Streams are copied as they are: never inflated (a small file may unpack to
            # gigabytes), nor packed anew.
            pdf.save(out, deterministic_id=True, stream_decode_level=StreamDecodeLevel.none)
            return out.getvalue()
    except pikepdf.PasswordError as error:
        raise Unreadable("password") from error
    except (pikepdf.PdfError, ValueError, RuntimeError) as error:
        raise Unreadable("damaged") from error


def _carries_a_file(pdf) -> bool:
    """Whether the document reaches a file inside it: a file specification with its file
    (``/EF``: the /EmbeddedFiles tree, a file attached to a page, PDF/A-3's /AF, a link or
    an action that opens it, rich media), an embedded file's stream, or a /FileAttachment
    annotation. Everything reachable from the trailer is looked at, whatever the shape of
    the trees (malformed ones too, which readers still follow); what an earlier revision
    left unreachable is not, as the saved copy leaves it out."""
    import pikepdf

    seen = set()
    todo = [pdf.trailer]
    while todo:
        item = todo.pop()
        if not isinstance(item, pikepdf.Array | pikepdf.Dictionary | pikepdf.Stream):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        if isinstance(item, pikepdf.Array):
            todo.extend(item)
            continue
        if (
            "/EF" in item
            or item.get("/Type") == "/EmbeddedFile"
            or item.get("/Subtype") == "/FileAttachment"
        ):
            return True
        todo.extend(value for _key, value in item.items())
    return False


def _image(content: bytes, content_type: str) -> bytes:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow only warns of an image larger than its limit: it is refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise Unreadable("too large") from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise Unreadable("damaged") from error
    try:
        with image:
            out = io.BytesIO()
            if content_type == "image/png":
                # Pillow writes no text chunk, EXIF or XMP unless it is given them.
                image.save(out, "PNG", save_all=getattr(image, "is_animated", False))
            else:
                orientation = image.getexif().get(EXIF_ORIENTATION)
                exif = Image.Exif()
                if orientation:
                    exif[EXIF_ORIENTATION] = orientation  # else the photo turns on its side
                image.save(
                    out,
                    "JPEG",
                    quality="keep" if image.format == "JPEG" else 95,
                    subsampling="keep" if image.format == "JPEG" else -1,
                    progressive=bool(image.info.get("progressive")),
                    icc_profile=image.info.get("icc_profile"),
                    dpi=image.info.get("dpi", (0, 0)),
                    exif=exif if orientation else b"",
                    comment=b"",
                )
            return out.getvalue()
    except (OSError, ValueError, SyntaxError) as error:  # SyntaxError: Pillow's "broken"
        raise Unreadable("damaged") from error
