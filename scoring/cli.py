"""Command line (SPEC §9): ``flask --app scoring COMMAND``.

Every command has ``--help``, says what went wrong in plain words and exits non-zero
on failure.
"""

import csv
import json
import sys
from decimal import Decimal

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from . import audit, database, demo, sessions, spreadsheets, tables
from .applications import clarifications
from .auth import two_factor
from .auth.operations import find_user
from .auth.passwords import weakness
from .backup import commands as backup_commands
from .commandline import CommandError, find_contest, round_option
from .contests import commands as contests_commands
from .documents import commands as documents_commands
from .extensions import db
from .i18n import money, role_label
from .judging import commands as judging_commands
from .models import Role, User
from .results import announcements, appeals
from .results.loading import contest_ranking
from .results.presentation import ranking_json
from .tables import Table


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the database schema or upgrade it to the latest version.

    An installation without an anchor of the audit log (a new one, or one upgraded from
    a version without anchors) gets one at the log's newest entry.
    """
    from flask_migrate import upgrade  # Alembic loads only for this command

    upgrade()
    click.echo(_("The database schema is up to date."))
    report = audit.verify()
    if report.anchor_problem == "none":  # an intact chain, and no anchor file at all
        audit.move_anchor(audit.Anchor(report.last_id, report.last_hash))
        click.echo(_anchored_line(report))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
    help="organiser, juror or applicant",
)
@click.option("--name", default="", help="The person's name (defaults to the e-mail).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password as one line from standard input instead of prompting.",
)
@with_appcontext
def create_user(email: str, role: str, name: str, password_stdin: bool):
    """Add a user with the given e-mail and role."""
    email = email.strip().lower()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise CommandError(_("“%(email)s” is not an e-mail address.", email=email)) from error
    if find_user(email):
        raise CommandError(_("A user with the e-mail %(email)s already exists.", email=email))
    if Role(role) == Role.APPLICANT:
        raise CommandError(
            _("Applicants register on the site together with their organisation (/register).")
        )
    password = _read_password(password_stdin)
    problem = weakness(password, [email, name])
    if problem:
        raise CommandError(str(problem))
    user = User(email=email, name=name.strip() or email, role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", obj=user, role=role, via="cli")
    db.session.commit()
    click.echo(_("User %(email)s (%(role)s) is created.", email=email, role=role_label(role)))


@click.command("two-factor-off")
@click.argument("email")
@with_appcontext
def two_factor_off(email: str):
    """Turn off a person's two-factor sign-in (lost phone and codes); end their sessions."""
    user = find_user(email)
    if user is None:
        raise CommandError(_("There is no user with the e-mail %(email)s.", email=email))
    if not user.has_two_factor:
        raise CommandError(_("%(email)s does not use two-factor sign-in.", email=user.email))
    two_factor.turn_off(user, actor=None, via="cli")
    sessions.end_all(user)
    db.session.commit()
    click.echo(
        _(
            "Two-factor sign-in of %(email)s is off and their sessions are ended; it can be "
            "set up again after the next login.",
            email=user.email,
        )
    )


@click.command("demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load only into a database without users; otherwise do nothing.",
)
@with_appcontext
def load_demo(if_empty: bool):
    """Load the demo contests with applications, jurors and scores (not in production)."""
    if current_app.config["SCORING_ENV"] == "production":
        raise CommandError(_("The demo is not loaded in production (SCORING_ENV=production)."))
    if db.session.scalar(select(User.id).limit(1)) is not None:
        if if_empty:
            click.echo(
                _(
                    "The database already has data; the demo is not loaded. The site: %(url)s",
                    url=current_app.config["PUBLIC_URL"],
                )
            )
            return
        raise CommandError(
            _("The database already has data. The demo is loaded only into an empty database.")
        )
    logins = demo.load()
    db.session.commit()
    click.echo(
        _("The demo is loaded. Log in at %(url)s/login as:", url=current_app.config["PUBLIC_URL"])
    )
    for role, email, password in logins:
        click.echo(f"  {role:<12} {email:<32} {password}")


@click.command("rank")
@click.argument("slug")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "csv"]),
    help="How to print the ranking (default: table; csv with --excel).",
)
@click.option(
    "--excel",
    is_flag=True,
    help="CSV for Excel: a byte-order mark, semicolons and decimal commas.",
)
@round_option
@with_appcontext
def rank(slug: str, output: str | None, excel: bool, round_number: int | None):
    """Print the contest's ranking (SPEC §6) as it stands now, in any stage.

    With --round N, the ranking of the contest's round N (SPEC §13); when the rounds
    combine into the final score, the score is the combined one and round_score the
    round's own.
    """
    if excel and output not in (None, "csv"):
        raise CommandError(_("--excel writes CSV: use it with --format csv."))
    output = output or ("csv" if excel else "table")
    with database.reading():  # SQLite's write lock stays free for the app meanwhile
        contest = find_contest(slug, round_number)
        document = ranking_json(contest_ranking(contest), contest.slug)
    if output == "json":
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    rows = document["ranking"]
    columns = [
        "rank",
        "number",
        "organisation",
        "oblast",
        "score",
        "jurors",
        "tie",
        "divergent",
        "winner",
        "note",
    ]
    if any("category" in row for row in rows):
        columns.insert(4, "category")
    if any("round_score" in row for row in rows):  # rounds combined (SPEC §13)
        columns.insert(columns.index("score") + 1, "round_score")
    funds = _funds(document)  # SPEC §12: with a fund, its amounts beside the score
    if funds:
        columns[columns.index("score") + 1 : columns.index("score") + 1] = FUND_ROW
    if output == "csv" and excel:
        columns += list(FUND_TOP) if funds else []
        lines = [row | funds.get(row.get("category"), {}) for row in rows]
        table = Table(columns, [[_excel_value(c, line.get(c)) for c in columns] for line in lines])
        click.echo(tables.BOM + tables.csv_text(table, excel=True), nl=False)
        return
    if output == "csv":
        # A CSV is one table: each row carries its fund's totals (of its category).
        flags = {True: "true", False: "false", None: ""}
        writer = csv.DictWriter(
            sys.stdout,
            fieldnames=columns + (list(FUND_TOP) if funds else []),
            lineterminator=spreadsheets.LINE_END,
        )
        writer.writeheader()
        writer.writerows(
            spreadsheets.row(
                {
                    c: flags[v] if isinstance(v, bool) or v is None else v
                    for c, v in (row | funds.get(row.get("category"), {})).items()
                }
            )
            for row in rows
        )
        return
    click.echo(_ranking_table(document, columns, funds))


FUND_TOP = ("fund", "awarded_total", "fund_left")  # the document's amounts of a fund
FUND_ROW = ["requested", "awarded"]


def _funds(document: dict) -> dict:
    """The fund's amounts of each category (``None`` without categories) that has one."""
    if "fund" not in document:
        return {}
    if not isinstance(document["fund"], dict):
        return {None: {key: document[key] for key in FUND_TOP}}
    return {
        code: {key: document[key][code] for key in FUND_TOP}
        for code, fund in document["fund"].items()
        if fund is not None
    }


def _cell(value, words: dict, *, amount: bool) -> str:
    if amount:
        return "—" if value is None else value
    return words[value] if isinstance(value, bool) or value is None else str(value)


def _excel_value(column: str, value):
    """A value of ``rank --format json`` as a cell of the CSV for Excel: scores and amounts
    numbers."""
    if column in ("score", "round_score", *FUND_ROW, *FUND_TOP) and value is not None:
        return Decimal(value)
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: ""}[value]
    return value


def _ranking_table(document: dict, columns: list[str], funds: dict) -> str:
    """The ranking for a terminal: the funds, aligned columns, then what was not ranked."""
    headings = {
        "rank": _("Place"),
        "number": _("Number"),
        "organisation": _("Organisation"),
        "oblast": _("Oblast"),
        "category": _("Category"),
        "score": _("Score"),
        "round_score": _("Round score"),
        "requested": _("Requested"),
        "awarded": _("Awarded"),
        "jurors": _("Jurors"),
        "tie": _("Tie"),
        "divergent": _("Divergent"),
        "winner": _("Winner"),
        "note": _("Note"),
    }
    words = {True: _("yes"), False: "", None: _("undecided")}
    table = [[headings[c] for c in columns]] + [
        [_cell(row.get(c), words, amount=c in FUND_ROW) for c in columns]
        for row in document["ranking"]
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    summary = [
        _(
            "Fund%(category)s: %(fund)s; awarded: %(awarded)s; left: %(left)s.",
            category=f" ({code})" if code else "",
            fund=money(Decimal(amounts["fund"])),
            awarded=money(Decimal(amounts["awarded_total"])),
            left=money(Decimal(amounts["fund_left"])),
        )
        for code, amounts in funds.items()
    ]
    lines = summary + [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    if not document["ranking"]:
        lines.append(_("No application is ranked yet."))
    for item in document["not_ranked"]:
        lines.append(_("Not ranked: %(number)s — %(reason)s", **item))
    return "\n".join(lines)


def _anchored_line(report: audit.ChainReport) -> str:
    return _(
        "The audit log is anchored at its newest entry %(id)s (hash %(hash)s).",
        id=report.last_id,
        hash=report.last_hash,
    )


@click.command("audit-verify")
@click.option(
    "--reanchor",
    is_flag=True,
    help="When the chain itself is intact, accept its end as the new anchor, even an "
    "earlier one (after a restore on another server, or a new instance folder).",
)
@with_appcontext
def audit_verify(reanchor: bool):
    """Check the hash chain of the audit log and its anchor; say where it breaks.

    The chain must verify from its first entry to its newest, and the entry named by the
    anchor (kept in the instance folder, outside the database) must still be in it with
    the same hash: entries removed from the end, a truncated table or a chain rewritten
    from some entry on show here.
    """
    report = audit.verify(whole=True)
    if not report.ok and report.broken_at is not None:
        raise CommandError(
            _(
                "The audit log is broken at entry %(id)s (%(count)s entries read): the entry "
                "was changed, removed or inserted afterwards.",
                id=report.broken_at,
                count=report.entries,
            )
        )
    if reanchor:
        before = audit.move_anchor(audit.Anchor(report.last_id, report.last_hash))
        if before is not None and before.entry != report.last_id:
            click.echo(_("The anchor was at entry %(id)s.", id=before.entry))
        click.echo(_anchored_line(report))
        report = audit.verify()
    if not report.ok:
        raise CommandError(audit.anchor_problem_text(report))
    click.echo(
        _(
            "The audit log is intact: %(count)s entries, the last hash is %(hash)s.",
            count=report.entries,
            hash=report.last_hash,
        )
    )
    if report.anchor is not None:
        click.echo(
            _(
                "It holds the anchor kept outside the database: entry %(id)s with the same hash.",
                id=report.anchor.entry,
            )
        )


@click.command("send-reminders")
@with_appcontext
def send_reminders():
    """E-mail the reminders due today: to applicants the day before their answer to a
    request for a clarification is due, to organisers the day before an answer to an
    appeal is (SPEC §14).

    Run it from cron, e.g. every hour: each reminder goes out once, however often the
    command runs (and when two runs overlap); one whose e-mail failed is tried again at
    the next run, and the command then exits with 1.
    """
    applicants, applicants_failed = clarifications.send_reminders()
    organisers, organisers_failed = appeals.send_reminders()
    click.echo(
        _(
            "Reminders sent: %(applicants)s to applicants (clarifications), %(organisers)s to "
            "organisers (appeals).",
            applicants=applicants,
            organisers=organisers,
        )
    )
    failed = applicants_failed + organisers_failed
    if failed:
        raise CommandError(
            _(
                "%(count)s reminders could not be sent; see the log. They are tried again at "
                "the next run.",
                count=failed,
            )
        )


@click.command("send-notices")
@with_appcontext
def send_notices():
    """E-mail the applicants still to be told that the results are published (SPEC §14).

    The app sends these e-mails in the background right after publication and resumes
    them when the contest's page is opened; run this after a restart to finish them at
    once. Each applicant is told once, however often it runs and while the app sends
    too; one whose e-mail failed is listed on the contest's page, which sends it again.
    """
    sent = failed = 0
    for contest_id in announcements.contests_waiting():
        done, missed = announcements.send_pending(contest_id)
        sent, failed = sent + done, failed + missed
    click.echo(_("E-mails about the results sent: %(sent)s.", sent=sent))
    if failed:
        raise CommandError(
            _(
                "%(count)s e-mails about the results could not be sent; the contest’s page "
                "lists them and sends them again.",
                count=failed,
            )
        )


def register(app) -> None:
    for command in (
        init_db,
        create_user,
        two_factor_off,
        load_demo,
        rank,
        audit_verify,
        send_reminders,
        send_notices,
    ):
        app.cli.add_command(command)
    for command in contests_commands.COMMANDS:
        app.cli.add_command(command)
    for command in judging_commands.COMMANDS:
        app.cli.add_command(command)
    for command in backup_commands.COMMANDS:
        app.cli.add_command(command)
    for command in documents_commands.COMMANDS:
        app.cli.add_command(command)
