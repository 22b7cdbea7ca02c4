"""Outgoing e-mail: SMTP when ``MAIL_SERVER`` is set, else ``.eml`` files in the outbox.

The outbox keeps the demo and the tests working without a network; an administrator
can open the files with any mail program.
"""

import time
import uuid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message

from .extensions import mailer


def send(to: str, subject, template: str, language: str = "uk", **context) -> Message:
    """Render ``templates/email/<template>.txt`` in the recipient's language and send it.
    The subject is one line: a title typed with a line break would make it a header that
    Flask-Mail refuses to send."""
    with force_locale(language):
        message = Message(
            subject=" ".join(str(subject).split()),
            recipients=[to],
            body=render_template(f"email/{template}.txt", **context),
        )
    if current_app.config.get("MAIL_SERVER"):
        mailer.send(message)
    else:
        outbox = Path(current_app.config["MAIL_OUTBOX"])
        outbox.mkdir(parents=True, exist_ok=True)
        # Named by the real time of writing, so the files sort in the order they were sent.
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        (outbox / name).write_bytes(message.as_bytes())
    return message
