"""Links to the site that leave the request: e-mails, documents, QR codes (SPEC §8).

Such a link is always built from the configured ``PUBLIC_URL``, never from the
request: anyone can send any ``Host`` (or ``X-Forwarded-Host``) header, and a
password-reset link built from it would carry the token to the sender's server.
``external_url`` is the one way to make one; pages link with plain ``url_for``.
"""

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` on the site named by ``PUBLIC_URL``.

    ``PUBLIC_URL`` may carry a path (``https://example.org/contests``) when the app is
    served under one; the request, if any, plays no part.
    """
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path or "/", url_scheme=public.scheme
    )
    values = {name: value for name, value in values.items() if value is not None}
    return adapter.build(endpoint, values, force_external=True)


def public_host(public_url: str) -> str:
    """The host name of ``PUBLIC_URL`` (no port), as ``TRUSTED_HOSTS`` lists hosts."""
    return (urlsplit(public_url).hostname or "").lower()
