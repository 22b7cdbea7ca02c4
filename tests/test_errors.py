"""Friendly error pages in Ukrainian; nothing internal leaks."""

import re

import pytest


def test_unknown_pages_answer_404_in_ukrainian(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Сторінку не знайдено" in page and '<html lang="uk">' in page


def test_a_wrong_method_answers_405(client):
    assert client.delete("/login").status_code == 405


def test_an_unexpected_failure_shows_a_calm_page_without_details(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internal detail")

    response = client.get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Щось пішло не так" in page and "secret internal detail" not in page


@pytest.mark.parametrize("url", ["/contests/missing", "/invitations/'"])
def test_odd_urls_never_fail(client, url):
    assert client.get(url).status_code in (404, 410)


def test_a_nul_in_the_address_is_refused_with_a_message(client):
    """SPEC §8 (issue 12): an address with NUL is a 400 that says why, not a lookup."""
    response = client.get("/password/reset/%00%ff")
    assert response.status_code == 400
    assert "Адреса містить нульовий символ (NUL)" in response.get_data(as_text=True)


def test_the_favicon_is_an_icon_not_a_404(client):
    """Browsers ask for /favicon.ico on every site by themselves (issue 16)."""
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO file signature
    # Pages link the same icon under a name made of its content, kept by the browser.
    linked = re.search(r'<link rel="icon" href="([^"]+)"', client.get("/").get_data(as_text=True))
    assert re.fullmatch(r"/static/favicon\.[0-9a-f]{12}\.ico", linked.group(1))
    with client.get(linked.group(1)) as icon:
        assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"
        assert "immutable" in icon.headers["Cache-Control"]
