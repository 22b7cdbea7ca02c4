"""Requests whose content alone cannot be read are refused before any view (SPEC §8).

They get a 400 with a message in the person's language (the error page, or JSON at the
JSON endpoints), never a 500 and never a value changed on the way in:

- the address: a NUL character, or bytes that are not UTF-8, in the path or in the
  query string (PostgreSQL refuses NUL in text; werkzeug would put U+FFFD in place of
  the bytes);
- a form's body that is not UTF-8: ``Request`` parses forms strictly, where werkzeug
  would drop an url-encoded body without a word or put U+FFFD into a text part;
- JSON sent to a form: Flask-WTF would hand any JSON (a list, nested objects) to the
  form's fields; only the JSON endpoints (``@json_endpoint``) read JSON;
- a file where the view takes none: only views marked ``@accepts_files`` read files,
  and they refuse a file in a text field with ``refuse_files_except``;
- JSON nested too deeply for the parser, or with a string that is no Unicode text (a
  lone surrogate such as ``"\\ud800"``, which no database can store): "not JSON"
  (``JSONProvider``), as any other JSON that cannot be read.

Numbers with hundreds of digits are the forms' business (``WholeNumberField`` and
``FiniteDecimalField`` in ``contests/forms.py``).
"""

import codecs
import re
from urllib.parse import parse_qsl

import flask
from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser, MultiPartParser

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UTF8_ADDRESS = _l(
    "The address contains bytes that are not UTF-8 text. Check the link or open the page "
    "from the site's menu."
)
NUL_IN_ADDRESS = _l(
    "The address contains a NUL character, which no address of this site has. Check the "
    "link or open the page from the site's menu."
)
NOT_UTF8_FORM = _l(
    "The data sent are not UTF-8 text, so they cannot be read. Open the page again, fill "
    "in the form and send it."
)
NOT_A_FORM = _l(
    "This address takes a form, not JSON data. Open the page, fill in the form and send it."
)


class BadContent(BadRequest):
    """A request that cannot be read as sent; ``description`` says why, for the person."""


def json_endpoint(view):
    """Mark a view that reads and answers JSON: it gets JSON bodies and JSON errors."""
    view.json_endpoint = True
    return view


def accepts_files(view):
    """Mark a view that reads uploaded files (every other view refuses a file part)."""
    view.accepts_files = True
    return view


def _view():
    return current_app.view_functions.get(request.endpoint) if request.endpoint else None


def wants_json() -> bool:
    """Whether the current request's view answers in JSON (its errors too)."""
    return getattr(_view(), "json_endpoint", False)


def refuse_files_except(names) -> None:
    """``BadContent`` naming the first field that holds a file but is not one of ``names``."""
    for name in request.files:
        if name not in names:
            raise BadContent(
                _(
                    "The field «%(field)s» takes text, but a file was sent in it. Open the page "
                    "again, fill in the form and send it.",
                    field=name,
                )
            )


def check_request() -> None:
    """The before_request hook: refuse an address or a body that cannot be read."""
    try:
        path = request.environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        query = parse_qsl(
            request.query_string.decode("utf-8"), keep_blank_values=True, errors="strict"
        )
    except UnicodeError:
        raise BadContent(str(NOT_UTF8_ADDRESS)) from None
    if "\x00" in path or any("\x00" in key or "\x00" in value for key, value in query):
        raise BadContent(str(NUL_IN_ADDRESS))
    if request.method not in BODY_METHODS or request.routing_exception is not None:
        return  # no body is read, or no view reads it (a 404 or 405 follows)
    if request.is_json:
        if not wants_json():
            raise BadContent(str(NOT_A_FORM))
        return
    if request.files and not getattr(_view(), "accepts_files", False):  # parsed strictly
        refuse_files_except(())


# Strict parsing of forms -----------------------------------------------------------------

# werkzeug decodes a text part of a multipart form with errors="replace", whatever the
# parser is told; a codec that is strict whatever it is told keeps the bytes honest.
STRICT_UTF8 = "scoring_strict_utf_8"


def _strict_decode(data, errors="strict"):
    return codecs.utf_8_decode(data, "strict", True)


def _find_codec(name: str):
    if name == STRICT_UTF8:
        return codecs.CodecInfo(codecs.utf_8_encode, _strict_decode, name=STRICT_UTF8)
    return None


codecs.register(_find_codec)


class _MultiPartParser(MultiPartParser):
    def get_part_charset(self, headers) -> str:
        declared = super().get_part_charset(headers)
        return declared if declared == "iso-8859-1" else STRICT_UTF8

    def start_file_streaming(self, event, total_content_length):
        # A percent-encoded file name (filename*=UTF-8''...) is decoded with U+FFFD in
        # place of bytes that are not UTF-8; a U+FFFD the header did not hold is one.
        raw = event.headers.get("content-disposition", "")
        if "\ufffd" in (event.filename or "") and "\ufffd" not in raw:
            raise UnicodeDecodeError("utf-8", b"", 0, 1, "a file name that is not UTF-8")
        return super().start_file_streaming(event, total_content_length)


class _FormDataParser(FormDataParser):
    """Forms as werkzeug parses them, but bytes that are not UTF-8 raise ``BadContent``
    (werkzeug's own errors are ``ValueError``, which it swallows into an empty form)."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        try:
            text = stream.read().decode("utf-8")
            items = parse_qsl(text, keep_blank_values=True, errors="strict")
        except UnicodeError:
            raise BadContent(str(NOT_UTF8_FORM)) from None
        return stream, self.cls(items), self.cls()

    def _parse_multipart(self, stream, mimetype, content_length, options):
        parser = _MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        try:
            form, files = parser.parse(stream, boundary, content_length)
        except UnicodeError:
            raise BadContent(str(NOT_UTF8_FORM)) from None
        return stream, form, files


class Request(flask.Request):
    form_data_parser_class = _FormDataParser


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, but JSON nested too deeply to parse, or holding a lone surrogate, is
    "not JSON": a ``ValueError``, which ``get_json`` answers with 400, not a
    ``RecursionError`` or a ``UnicodeEncodeError`` at the database (a 500)."""

    @staticmethod
    def default(o):
        """A translated message not yet translated (Flask-Babel's lazy string, e.g. a
        flashed message kept in the session) is written as its text."""
        if isinstance(o, LazyString):
            return str(o)
        return DefaultJSONProvider.default(o)

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error
        _check_text(value)
        return value


def _check_text(value) -> None:
    """``ValueError`` when a string or key anywhere in ``value`` is not Unicode text."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and SURROGATE.search(item):
            raise ValueError("a JSON string holds a lone surrogate")


def register(app: flask.Flask) -> None:
    """Parse requests strictly and check each one before every other hook but the log's."""
    app.request_class = Request
    app.json = JSONProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
