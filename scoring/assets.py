"""Static files under names that change with their content, compressed ahead of time.

Our own files (``static/``) and the three of Bootstrap-Flask the pages link
(``bootstrap.min.css``, ``bootstrap.min.js``, ``popper.min.js``) are copied once into
``STATIC_BUILD_DIR`` (default ``instance/static-build``) under a name that holds a hash
of their content — ``app.3f9c0a1d2b4e.css`` — with a gzip and a Brotli copy beside each
(WhiteNoise's compressor, best compression, done once per content). WhiteNoise serves that
folder in front of the app, choosing the copy the browser accepts, with
``Cache-Control: max-age=315360000, public, immutable``: a browser never asks for a file
again, and a changed file gets a new name, so no one keeps an old one. ``url_for('static',
filename='app.css')`` (and Bootstrap-Flask's own ``url_for('bootstrap.static', ...)``)
give the hashed address; an address without the hash is still served by Flask, uncached.

The copies are written to a temporary name and renamed into place, the compressed ones
before the file itself: several processes starting at once (gunicorn's workers) build
the same files and never see half of one. Old copies stay (a page still open links them).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import flask_bootstrap
from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

# What Bootstrap-Flask's load_css() and load_js() link, in its static folder.
BOOTSTRAP_FILES = ("css/bootstrap.min.css", "js/bootstrap.min.js", "umd/popper.min.js")
BOOTSTRAP_FOLDER = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5"


def hashed_name(name: str, data: bytes) -> str:
    """``js/app.min.js`` → ``js/app.min.<12 hex digits of its SHA-256>.js``."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    stem, dot, extension = name.rpartition(".")
    return f"{stem}.{digest}.{extension}" if dot and "/" not in extension else f"{name}.{digest}"


def _place(target: Path, data: bytes, scratch_folder: Path) -> None:
    """Write ``target`` and its compressed copies, each by an atomic rename, itself last."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch_folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch_folder) as scratch:
        draft = Path(scratch) / target.name
        draft.write_bytes(data)
        for written in Compressor(quiet=True).compress(str(draft)):
            os.replace(written, target.parent / Path(written).name)
        os.replace(draft, target)


def _sources(app: Flask):
    """(endpoint, URL prefix, folder, name) of every file to serve."""
    ours = Path(app.static_folder)
    for path in sorted(ours.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield "static", app.static_url_path, ours, path.relative_to(ours).as_posix()
    for name in BOOTSTRAP_FILES:
        yield "bootstrap.static", "/bootstrap" + app.static_url_path, BOOTSTRAP_FOLDER, name


def register(app: Flask) -> None:
    """Build the hashed copies, serve them with WhiteNoise and link them in ``url_for``."""
    build = Path(app.config.get("STATIC_BUILD_DIR") or Path(app.instance_path) / "static-build")
    served = build / "files"  # what WhiteNoise serves; drafts are written beside it
    names: dict[tuple[str, str], str] = {}
    for endpoint, prefix, folder, name in _sources(app):
        data = (folder / name).read_bytes()
        hashed = hashed_name(name, data)
        target = served / prefix.strip("/") / hashed
        if not target.exists():
            _place(target, data, build / "scratch")
        names[endpoint, name] = hashed

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=served,
        prefix="/",
        immutable_file_test=lambda _path, _url: True,  # every file there is named by content
        add_headers_function=_nosniff,
    )

    @app.url_defaults
    def _hashed_static(endpoint: str, values: dict) -> None:
        if endpoint in ("static", "bootstrap.static") and "filename" in values:
            values["filename"] = names.get((endpoint, values["filename"]), values["filename"])


def _nosniff(headers, _path, _url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
