"""Friendly error pages in the user's language; nothing internal is ever shown."""

from flask import Response, current_app, jsonify, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from . import requestguard, requestlog
from .extensions import db
from .i18n import file_size_text

MESSAGES = {
    400: (
        _l("The request cannot be processed"),
        _l("Some data in the request are not valid. Go back and try again."),
    ),
    403: (
        _l("Access denied"),
        _l(
            "You have no access to this page. If you think you should, log in with another "
            "account or write to the organisers."
        ),
    ),
    404: (
        _l("Page not found"),
        _l("There is no such page, or it is not available to you. Check the address."),
    ),
    405: (_l("The request cannot be processed"), _l("This page does not accept such a request.")),
    410: (_l("The link has expired"), _l("The link is no longer valid.")),
    413: (_l("The file is too large"), None),  # the text names the limit: _too_large
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "An error occurred on our side. What you saved before is safe. "
            "Try again in a few minutes."
        ),
    ),
}


def _page(status: int, text=None):
    title, default = MESSAGES.get(status, MESSAGES[400])
    if status == 413:
        default = _too_large()
    page = render_template("errors/error.html", status=status, title=title, text=text or default)
    return page, status


def _too_large() -> str:
    """What a request larger than the server takes (MAX_CONTENT_LENGTH) is told."""
    return _(
        "The data sent are larger than %(size)s, the most one sending can carry. "
        "Reduce the file, or send the files one by one, and try again.",
        size=file_size_text(current_app.config["MAX_CONTENT_LENGTH"]),
    )


def register(app) -> None:
    @app.errorhandler(SecurityError)
    def unknown_host(_error):
        # A Host that is not the site's (TRUSTED_HOSTS): no page of the site is made for
        # it, since every link on a page would be built for that host.
        text = _l("This address is not served here. Open the site at its own address.")
        return Response(str(text), status=400, mimetype="text/plain")

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        title = _l("The page is out of date")
        text = _l(
            "The form was open too long or was sent from elsewhere. Reload the page and "
            "send it again; what you typed may need to be entered again."
        )
        return render_template("errors/error.html", status=400, title=title, text=text), 400

    @app.errorhandler(requestguard.BadContent)
    def bad_content(error: requestguard.BadContent):
        # What cannot be read, said plainly: as JSON to the JSON endpoints' scripts.
        if requestguard.wants_json():
            return jsonify(error="bad_request", message=error.description), 400
        return _page(400, error.description)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _page(error.code or 500)

    @app.errorhandler(InternalServerError)
    def internal_error(_error):
        # Flask has logged the exception, with the request's id (requestlog.py); nothing
        # half-done may be committed after it. The page names the id, nothing else.
        db.session.rollback()
        title, text = MESSAGES[500]
        page = render_template(
            "errors/error.html",
            status=500,
            title=title,
            text=text,
            request_id=requestlog.request_id(),
        )
        return page, 500
