"""Work done in a thread of the app after the request has answered (SPEC §10: long work
shows progress): documents (``documents.jobs``), imports (``imports.jobs``) and the
e-mails of publication (``results.announcements``).

``start`` runs a function in a daemon thread with an app context of its own (its own
database session, removed at the end) and keeps the thread by name while it runs:
``running`` tells whether one of that name is alive in this process (so that a second
is not started beside it), and ``join`` waits for them all (the tests, before they read
what the work made or drop their database). A failure is logged; whatever the work
must tell a person, it records itself (in ``instance/`` or in the database).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import current_app

from .extensions import db

_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def start(name: str, work: Callable[..., object], *arguments, daemon: bool = True) -> bool:
    """Run ``work(*arguments)`` in a thread named ``name`` within an app context; False
    (and nothing started) when a thread of that name is still running in this process.
    A ``daemon`` thread does not keep the process from ending (its work can be resumed
    or asked for again)."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                work(*arguments)
            except Exception:  # a thread has nobody to tell but the log
                app.logger.exception("background work %s failed", name)
            finally:
                db.session.remove()
                with _lock:
                    _threads.pop(name, None)

    with _lock:
        if running(name):
            return False
        thread = threading.Thread(target=run, name=name, daemon=daemon)
        _threads[name] = thread
        thread.start()
    return True


def running(name: str) -> bool:
    """Whether a thread of this name is at work in this process."""
    thread = _threads.get(name)
    return thread is not None and thread.is_alive()


def join(timeout: float | None = None) -> None:
    """Wait for this process's threads to end (the tests; a thread started meanwhile by
    one of them is waited for too)."""
    while True:
        with _lock:
            alive = [thread for thread in _threads.values() if thread.is_alive()]
        if not alive:
            return
        for thread in alive:
            thread.join(timeout)
        if timeout is not None:
            return
