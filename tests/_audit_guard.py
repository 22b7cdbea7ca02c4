"""Every write a request commits carries an audit entry — checked under every test.

The page cache (scoring/pagecache.py) serves a page again until the audit log grows, so
a request that changes data shown on a page without writing an audit entry would leave
people looking at the old data. ``install()`` hooks the ORM: when a request commits
changes to any table but adds no audit entry, the commit fails with the tables named.
Writes in bulk (INSERT and UPDATE statements run through the session) are noted as they
run. The exceptions are the changes no kept page shows: the time of the last login and
the last two-factor code's time step, an applicant's own draft (which only its applicant
sees until it is submitted), and sign-in sessions (the cache checks the session itself
in the query that reads the log, see scoring/sessions.py).
"""

from flask import has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from scoring.models import (
    Answer,
    Application,
    ApplicationState,
    Attachment,
    AuditEntry,
    User,
    UserSession,
)

KEY = "audit_guard_changes"


UNSHOWN_USER_COLUMNS = {"last_login_at", "totp_last_step"}
# Sign-in sessions (see the module) and recovery codes, spent by a conditional UPDATE
# that changes nothing when the code was used already (a use that counts is audited).
UNSHOWN_TABLES = {UserSession.__tablename__, "recovery_codes"}


def _unaudited_is_fine(obj) -> bool:
    if isinstance(obj, User):
        state = inspect(obj)
        changed = {a.key for a in state.attrs if a.history.has_changes()}
        return not state.pending and changed <= UNSHOWN_USER_COLUMNS
    if isinstance(obj, UserSession):
        return True
    if isinstance(obj, Application):
        return obj.state == ApplicationState.DRAFT
    if isinstance(obj, Answer | Attachment):
        application = obj.application
        return application is not None and application.state == ApplicationState.DRAFT
    return False


def _note(session: Session, *_flush_arguments) -> None:
    if not has_request_context():
        return
    changes = session.info.setdefault(KEY, {"audited": False, "tables": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry):
            changes["audited"] = True
        elif (
            session.is_modified(obj) or obj in session.new or obj in session.deleted
        ) and not _unaudited_is_fine(obj):
            changes["tables"].add(obj.__table__.name)


def _note_statement(state) -> None:
    """INSERT and UPDATE statements run through the session (bulk writes) count too."""
    if not has_request_context() or not (state.is_insert or state.is_update or state.is_delete):
        return
    changes = state.session.info.setdefault(KEY, {"audited": False, "tables": set()})
    table = state.statement.table.name
    if table == AuditEntry.__tablename__:
        changes["audited"] = True
    elif table in UNSHOWN_TABLES:
        return
    elif table == User.__tablename__ and state.is_update:
        columns = {getattr(column, "key", column) for column in state.statement._values or {}}
        if not columns <= UNSHOWN_USER_COLUMNS:  # the code's time step, spent at sign-in
            changes["tables"].add(table)
    else:
        changes["tables"].add(table)


def _check(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the audit entry may follow before the real commit
    _note(session)  # what the commit is about to flush
    changes = session.info.pop(KEY, None)
    if changes and changes["tables"] and not changes["audited"]:
        raise AssertionError(
            f"a request commits changes to {sorted(changes['tables'])} without an audit "
            "entry: the page cache would go on serving pages with the old data "
            "(see tests/_audit_guard.py)"
        )


def _forget(session: Session) -> None:
    session.info.pop(KEY, None)


def install() -> None:
    event.listen(Session, "before_flush", _note)
    event.listen(Session, "do_orm_execute", _note_statement)
    event.listen(Session, "before_commit", _check)
    event.listen(Session, "after_rollback", _forget)
