"""Static files and pages on the wire: content-named, compressed, cached for good (SPEC §10)."""

import gzip
import hashlib
import re

import brotli
from flask import Flask, url_for

from scoring import assets

LINKED = re.compile(r'(?:href|src)="(/(?:bootstrap/)?static/[^"]+)"')
YEAR = 365 * 24 * 3600


def fetch(client, url: str, **kwargs):
    """Status, headers and body of a file, its handle closed (WhiteNoise sends open files)."""
    with client.get(url, **kwargs) as response:
        return response.status_code, response.headers, response.get_data()


def test_every_page_links_its_css_and_javascript_under_names_made_of_their_content(client):
    page = client.get("/login").get_data(as_text=True)
    links = LINKED.findall(page)
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", link) for link in links} == {
        "/bootstrap/static/css/bootstrap.min.css",
        "/bootstrap/static/umd/popper.min.js",
        "/bootstrap/static/js/bootstrap.min.js",
        "/static/app.css",
        "/static/js/errors.js",
        "/static/favicon.ico",
    }
    for link in links:
        status, _headers, data = fetch(client, link)
        digest = re.search(r"\.([0-9a-f]{12})\.", link).group(1)
        assert status == 200 and hashlib.sha256(data).hexdigest()[:12] == digest


def test_static_files_are_kept_by_the_browser_and_sent_compressed(client):
    page = client.get("/login").get_data(as_text=True)
    css = next(link for link in LINKED.findall(page) if "bootstrap.min." in link and "css" in link)
    _status, headers, original = fetch(client, css)
    control = headers["Cache-Control"]
    assert "immutable" in control and int(re.search(r"max-age=(\d+)", control)[1]) >= YEAR
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Encoding" not in headers
    for accept, encoding, decode in (
        ("gzip, deflate, br", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
    ):
        _status, headers, data = fetch(client, css, headers={"Accept-Encoding": accept})
        assert headers["Content-Encoding"] == encoding
        assert len(data) < len(original) / 5 and decode(data) == original
        assert "immutable" in headers["Cache-Control"]


def test_a_changed_file_gets_a_new_name_and_the_old_one_is_still_served(tmp_path):
    folder = tmp_path / "static"
    (folder / "js").mkdir(parents=True)
    script = folder / "js" / "app.js"

    def serve(text: str) -> tuple[str, Flask]:
        script.write_text(text)
        app = Flask(__name__, static_folder=str(folder))
        app.config.update(STATIC_BUILD_DIR=str(tmp_path / "build"), SERVER_NAME="x.example")
        app.register_blueprint(_bootstrap_stand_in())
        assets.register(app)
        with app.app_context():
            return url_for("static", filename="js/app.js", _external=False), app

    first, _app = serve("console.log('перша версія');\n" * 40)
    second, app = serve("console.log('друга версія');\n" * 40)
    assert first != second
    assert re.fullmatch(r"/static/js/app\.[0-9a-f]{12}\.js", second)
    client = app.test_client()
    for url, text in ((second, "друга"), (first, "перша")):  # a page still open links the first
        assert text in fetch(client, url)[2].decode()
    assert assets.hashed_name("a/b.min.css", b"x") == assets.hashed_name("a/b.min.css", b"x")


def _bootstrap_stand_in():
    from flask import Blueprint

    return Blueprint("bootstrap", __name__, static_folder=str(assets.BOOTSTRAP_FOLDER),
                     static_url_path="/bootstrap/static")  # fmt: skip


def test_pages_are_compressed_when_the_browser_accepts_it(client):
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers
    for accept, encoding, decode in (
        ("gzip, deflate, br, zstd", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
    ):
        response = client.get("/login", headers={"Accept-Encoding": accept})
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        text = decode(response.get_data()).decode()
        assert "<form" in text and 'name="password"' in text
