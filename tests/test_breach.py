"""BREACH: pages go out compressed, so no secret may stand in them unchanged from one
response to the next (scoring/csrftokens.py masks the CSRF token anew each time)."""

import gzip
import re

from scoring import csrftokens
from scoring.models import Role

from .conftest import CSRF_INPUT, PASSWORD

META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _tokens(client, url: str) -> tuple[bytes, list[str]]:
    """The page as the browser gets it (gzip), unpacked, and every CSRF token in it."""
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.get_data()).decode()
    found = META.findall(html) + [a or b for a, b in CSRF_INPUT.findall(html)]
    return html, found


def test_every_csrf_token_in_a_page_is_masked_anew(client):
    pages = [_tokens(client, "/login") for _ in range(3)]
    tokens = [token for _html, found in pages for token in found]
    assert all(len(found) >= 2 for _html, found in pages)  # the meta tag and the form's field
    # One masked token a response, shared by its forms; never the same in two responses.
    assert [len(set(found)) for _html, found in pages] == [1, 1, 1]
    assert len(set(tokens)) == len(pages)
    # Unmasked, they are the session's one token: its first part (the session's secret,
    # signed) is what BREACH would read out, and no page carries it.
    plain = {csrftokens.unmask(token) for token in tokens}
    secrets = {token.split(".")[0] for token in plain}
    assert len(secrets) == 1 and all("." in token for token in plain)
    secret = secrets.pop()
    assert all(secret not in html for html, _found in pages)


def test_a_masked_token_is_accepted_and_a_changed_one_refused(client, build):
    build.user(Role.JUROR, email="juror@example.org")
    _html, tokens = _tokens(client, "/login")
    form = {"email": "juror@example.org", "password": PASSWORD}
    changed = tokens[1][:-2] + ("AA" if tokens[1][-2:] != "AA" else "BB")
    response = client.post("/login", data={**form, "csrf_token": changed})
    assert response.status_code == 400
    assert client.get("/account").status_code == 302  # not signed in
    response = client.post("/login", data={**form, "csrf_token": tokens[1]})
    assert response.status_code == 302 and client.get("/account").status_code == 200
    # The same masked token works in the header the scripts send, and so does a token
    # of another page of the session.
    _html, later = _tokens(client, "/account")
    response = client.post("/logout", headers={"X-CSRFToken": later[0]})
    assert response.status_code == 302 and client.get("/account").status_code == 302


def test_unmask_leaves_what_is_no_masked_token_as_it_came():
    token = "ImFiYyI.Z1xyzw.signature"
    assert csrftokens.unmask(csrftokens.mask(token)) == token
    assert csrftokens.mask(token) != csrftokens.mask(token)
    for odd in (token, "", None, "!!!", "QUJD", "//8"):  # plain, empty, not Base64, odd halves
        assert csrftokens.unmask(odd) == odd
