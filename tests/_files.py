"""Real PDF, JPEG and PNG files, with the metadata an office's software leaves in them
(not a test module). Made with pikepdf and Pillow, as an office's scanner or editor
would write them: document information, XMP, EXIF, IPTC, comments, text chunks."""

import io
import struct

import pikepdf
from PIL import Image, PngImagePlugin

# Who made the file: what a juror of a blind contest must not learn from it.
COUNCIL = "Балаклійська міська рада"
COUNCIL_LATIN = "Balakliia City Council"
PERSON = "Petrenko Ivan"
PERSON_UK = "Петренко Іван"
NAMES = (COUNCIL, COUNCIL_LATIN, PERSON, PERSON_UK)


def encodings(text: str) -> list[bytes]:
    """The ways ``text`` is written inside a PDF or an image."""
    return [text.encode("utf-8"), text.encode("utf-16-be"), text.encode("utf-16-le")]


def names_in(data: bytes) -> list[str]:
    """The names of ``NAMES`` found in ``data``, in any of their encodings."""
    return [name for name in NAMES if any(form in data for form in encodings(name))]


def pdf(*, metadata: bool = False, pages: int = 1) -> bytes:
    """A PDF of blank pages; with ``metadata``: document information, XMP, a comment."""
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page()
    if metadata:
        with document.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp["dc:creator"] = [PERSON_UK]
            xmp["dc:title"] = COUNCIL
            xmp["pdf:Producer"] = f"Scanner of {COUNCIL_LATIN}"
        document.docinfo["/Author"] = PERSON
        document.docinfo["/Creator"] = COUNCIL
        document.docinfo["/Producer"] = COUNCIL_LATIN
        document.docinfo["/Title"] = f"Рішення {COUNCIL}"
        document.docinfo["/Subject"] = PERSON_UK
        document.docinfo["/Keywords"] = COUNCIL_LATIN
        note = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Text,
            Rect=[10, 10, 30, 30],
            T=pikepdf.String(PERSON),
            Contents=pikepdf.String("Перевірити суму"),
        )
        document.pages[0].Annots = document.make_indirect(pikepdf.Array([note]))
    out = io.BytesIO()
    document.save(out, compress_streams=False)
    return out.getvalue()


def _image(size=(64, 48)) -> Image.Image:
    image = Image.new("RGB", size, (30, 120, 200))
    image.paste((250, 200, 0), (0, 0, size[0] // 2, size[1] // 2))
    return image


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x013B] = PERSON  # Artist
    exif[0x8298] = COUNCIL_LATIN  # Copyright
    exif[0x010E] = COUNCIL_LATIN  # ImageDescription
    if orientation:
        exif[0x0112] = orientation
    return exif


def _xmp() -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"<rdf:Description><dc:creator>{PERSON_UK}</dc:creator>"
        f"<dc:rights>{COUNCIL}</dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


def _iptc_segment() -> bytes:
    """An APP13 (Photoshop IPTC) segment with the by-line (author) record 2:80."""
    value = COUNCIL.encode()
    record = b"\x1c\x02\x50" + struct.pack(">H", len(value)) + value
    block = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    body = b"Photoshop 3.0\x00" + block
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def jpeg(*, metadata: bool = False, orientation: int | None = None) -> bytes:
    """A JPEG photo; with ``metadata``: EXIF, XMP, IPTC and a comment that name people."""
    out = io.BytesIO()
    if not metadata:
        _image().save(out, "JPEG", quality=90)
        return out.getvalue()
    _image().save(
        out,
        "JPEG",
        quality=90,
        exif=_exif(orientation),
        xmp=_xmp(),
        comment=f"Scanned by {PERSON}".encode(),
    )
    data = out.getvalue()
    return data[:2] + _iptc_segment() + data[2:]  # right after the start of the image


def png(*, metadata: bool = False) -> bytes:
    """A PNG; with ``metadata``: tEXt, zTXt and iTXt chunks, EXIF and XMP that name people."""
    out = io.BytesIO()
    if not metadata:
        _image().save(out, "PNG")
        return out.getvalue()
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", PERSON)
    info.add_text("Comment", COUNCIL_LATIN, zip=True)
    info.add_itxt("Description", COUNCIL)
    info.add_itxt("XML:com.adobe.xmp", _xmp().decode())
    _image().save(out, "PNG", pnginfo=info, exif=_exif())
    return out.getvalue()
