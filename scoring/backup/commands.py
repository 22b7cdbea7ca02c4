"""``flask --app scoring backup FILE`` and ``restore FILE [--replace]`` (SPEC §8, §9).

The work is done in ``backup`` and ``restore``; these commands report progress on
standard error (table N of M, rows), a summary on standard output, and turn
``BackupError`` and ``RestoreError`` into an error message with a non-zero exit.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from .. import audit
from ..commandline import CommandError
from ..i18n import file_size_text
from . import backup, restore


def _progress(quiet: bool):
    if quiet:
        return None

    def report(progress: backup.Progress) -> None:
        if progress.done:
            line = _(
                "Table %(number)s of %(of)s: %(table)s, rows: %(rows)s.",
                number=progress.number,
                of=progress.of,
                table=progress.table,
                rows=progress.rows,
            )
        else:
            line = _(
                "Table %(number)s of %(of)s: %(table)s, rows so far: %(rows)s…",
                number=progress.number,
                of=progress.of,
                table=progress.table,
                rows=progress.rows,
            )
        click.echo(line, err=True)

    return report


def _audit_line(entries: int, last_hash: str) -> str:
    return _(
        "The audit log is intact: %(count)s entries, the last hash is %(hash)s.",
        count=entries,
        hash=last_hash,
    )


QUIET = click.option("-q", "--quiet", is_flag=True, help="Print the summary only, no progress.")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@QUIET
@with_appcontext
def backup_command(file: Path, quiet: bool):
    """Write a consistent copy of the whole database into FILE, a ZIP archive.

    The app may keep serving while the backup runs: everything is read inside one
    read-only transaction, and writers are not stopped. The archive holds every table,
    the attachments, the schema revision, row counts and SHA-256 checksums; restore
    reads it on SQLite and PostgreSQL alike. FILE is replaced only once the new archive
    is complete. With BACKUP_SIGNING_KEY set, the archive is signed (an HMAC of its
    manifest, which lists every member's SHA-256), and restore refuses it once edited.
    """
    try:
        summary = backup.write(file, progress=_progress(quiet))
    except backup.BackupError as error:
        raise CommandError(str(error)) from error
    except OSError as error:
        raise CommandError(
            _("Cannot write %(file)s: %(reason)s", file=file, reason=error.strerror or error)
        ) from error
    click.echo(
        _(
            "The backup is written to %(file)s. Tables: %(tables)s, rows: %(rows)s, attached "
            "files: %(files)s (%(size)s), schema revision: %(revision)s.",
            file=file,
            rows=sum(summary.rows.values()),
            tables=len(summary.rows),
            files=summary.files,
            size=file_size_text(summary.file_bytes),
            revision=summary.revision,
        )
    )
    click.echo(_audit_line(summary.audit_entries, summary.audit_last_hash))
    if summary.signed:
        click.echo(_("The archive is signed with BACKUP_SIGNING_KEY."))
    else:
        click.echo(
            _(
                "Warning: the archive is not signed, because BACKUP_SIGNING_KEY is not set; "
                "restore refuses it unless told --skip-signature-check."
            ),
            err=True,
        )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Delete everything the database holds and put the archive in its place.",
)
@click.option(
    "--skip-signature-check",
    is_flag=True,
    help="Restore an archive that is unsigned, signed with another key or changed after "
    "signing (every other check still applies). Only for an archive you know.",
)
@QUIET
@with_appcontext
def restore_command(file: Path, replace: bool, skip_signature_check: bool, quiet: bool):
    """Load the backup FILE into the database (an empty one, unless --replace).

    The whole archive is checked first (its signature with BACKUP_SIGNING_KEY, checksums,
    row counts, attachments, the audit chain); a damaged, edited or foreign file changes
    nothing. An empty database gets the schema of the archive first; an archive older
    than this version is upgraded after loading. The audit log's anchor moves to the
    restored log's end. Stop the app while restoring.
    """
    try:
        restored = restore.restore(
            file,
            replace=replace,
            progress=_progress(quiet),
            skip_signature_check=skip_signature_check,
        )
    except restore.RestoreError as error:
        raise CommandError("\n".join([str(error), _("Nothing was restored.")])) from error
    click.echo(
        _(
            "The archive %(file)s is restored. Tables: %(tables)s, rows: %(rows)s, attached "
            "files: %(files)s, schema revision: %(revision)s.",
            file=file,
            rows=sum(restored.rows.values()),
            tables=len(restored.rows),
            files=restored.files,
            revision=restored.revision,
        )
    )
    if restored.unverified:
        click.echo(
            _(
                "Warning: the signature was not checked, as asked: %(problem)s",
                problem=restore.signature_text(restored.unverified),
            ),
            err=True,
        )
    else:
        click.echo(_("The archive’s signature is valid."))
    if restored.replaced:
        click.echo(_("What the database held before was deleted."))
    if restored.upgraded_to:
        click.echo(
            _("The schema is upgraded to revision %(revision)s.", revision=restored.upgraded_to)
        )
    report = restored.chain
    before = restored.anchor_before
    if before is not None and before.entry > report.last_id:
        click.echo(
            _(
                "The audit log’s anchor moved back from entry %(before)s to entry %(now)s, "
                "the end of the restored log.",
                before=before.entry,
                now=report.last_id,
            )
        )
    if report.ok:
        click.echo(_audit_line(report.entries, report.last_hash))
    elif report.broken_at is None:  # cannot happen either: the anchor was just moved
        raise CommandError(audit.anchor_problem_text(report))
    else:  # cannot happen after the archive's own check, but never stay silent about it
        raise CommandError(
            _(
                "The audit log is broken at entry %(id)s (%(count)s entries read): the entry "
                "was changed, removed or inserted afterwards.",
                id=report.broken_at,
                count=report.entries,
            )
        )


COMMANDS = (backup_command, restore_command)
