"""Outgoing e-mail: SMTP when ``MAIL_SERVER`` is set, else ``.eml`` files in the outbox.

The outbox keeps the demo and the tests working without a network; an administrator
can open the files with any mail program. ``send`` sends one message; ``Batch`` sends
many over one SMTP connection (the e-mails of a publication, ``results.announcements``).
"""

from __future__ import annotations

import smtplib
import time
import uuid
from contextlib import suppress
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Connection, Message

from .extensions import mailer


def compose(to: str, subject, template: str, language: str = "uk", **context) -> Message:
    """Render ``templates/email/<template>.txt`` in the recipient's language. The subject
    is one line: a title typed with a line break would make it a header that Flask-Mail
    refuses to send."""
    with force_locale(language):
        return Message(
            subject=" ".join(str(subject).split()),
            recipients=[to],
            body=render_template(f"email/{template}.txt", **context),
        )


def send(to: str, subject, template: str, language: str = "uk", **context) -> Message:
    """Compose one message and send it (a connection of its own)."""
    with Batch() as batch:
        return batch.send(compose(to, subject, template, language, **context))


class Batch:
    """Several messages over one SMTP connection, opened at the first and closed at the
    end of the ``with`` block; after a failure the next message opens a new one. In the
    outbox each message is a file, as ``send`` writes it."""

    def __init__(self):
        self.connection: Connection | None = None

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *_exception) -> None:
        self._close()

    def send(self, message: Message) -> Message:
        if not current_app.config.get("MAIL_SERVER"):
            outbox = Path(current_app.config["MAIL_OUTBOX"])
            outbox.mkdir(parents=True, exist_ok=True)
            # Named by the real time of writing, so the files sort in the order they were sent.
            name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
            (outbox / name).write_bytes(message.as_bytes())
            return message
        if self.connection is None:
            self.connection = mailer.connect().__enter__()
        try:
            self.connection.send(message)
        except BaseException:
            self._close()  # the connection may be broken: the next message opens another
            raise
        return message

    def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and connection.host is not None:
            with suppress(OSError, smtplib.SMTPException):  # the server is gone already
                connection.host.quit()
