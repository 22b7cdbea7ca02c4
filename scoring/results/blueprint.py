"""The results blueprint: the organisers' deliberation pages (``deliberation_views``) and
the public results and API (``public_views``) add their routes to ``bp``; ``create_app``
imports both before registering it.
"""

from flask import Blueprint, url_for
from werkzeug.routing import BuildError

bp = Blueprint("results", __name__)


def document_url(endpoint: str, path: str, **values) -> str:
    """The URL of a PDF the documents blueprint serves; its fixed path until it exists."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return path
