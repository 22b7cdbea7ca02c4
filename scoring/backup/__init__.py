"""Backups of the whole database and restores from them (SPEC §8, §9).

``flask --app scoring backup FILE`` writes one ZIP archive (``archive``): a
``manifest.json`` and, per table of the models, one JSON-lines member in dependency
order; binary columns (the attachments' content) are members of their own. The
manifest names the format, the schema revision, every table with its columns and row
count, every member with its SHA-256 and size, and the audit chain's length and last
hash. Values are portable between SQLite and PostgreSQL: moments as ISO 8601 in UTC,
decimals as strings, enumerations by value, JSON as JSON.

``backup`` reads everything inside one read-only transaction, so the archive is one
consistent moment of a database that keeps serving requests. ``restore`` checks the
whole archive before it writes anything (``restore.check``), then loads it into an
empty database, or with ``--replace`` instead of what a database holds, in one
transaction (``restore.restore``).
"""
