"""Money (SPEC §12): a fund and the largest request, amounts requested, partial awards.

- ``contests.fund`` and ``contests.max_request`` (without categories), and the same on
  ``categories``: the fund the winners share and the most one application may ask for;
  NULL: no fund (the contest works as before), no limit.
- ``applications.requested``: the amount the application asks for.
- ``decisions.amount`` and the decision kind ``partial``: the commission funds one
  application partly from what is left of the fund.

Amounts are NUMERIC(14, 2), exact on both databases. The new columns are added with
ALTER TABLE ... ADD COLUMN, their CHECK constraints within it on SQLite. The decision
kinds are a CHECK constraint, which SQLite cannot alter: there the ``decisions`` table
is built anew and its rows copied (no table refers to it, so nothing cascades).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(14, 2)
# (table, column, the condition of its CHECK constraint, the constraint's name)
AMOUNTS = (
    ("contests", "fund", "fund > 0", "fund_positive"),
    ("contests", "max_request", "max_request > 0", "max_request_positive"),
    ("categories", "fund", "fund > 0", "fund_positive"),
    ("categories", "max_request", "max_request > 0", "max_request_positive"),
    ("applications", "requested", "requested > 0", "requested_positive"),
)

DECISIONS = """CREATE TABLE {name} (
    id INTEGER NOT NULL,
    contest_id INTEGER NOT NULL,
    category_id INTEGER,
    kind VARCHAR(10) NOT NULL,
    application_id INTEGER,
    winner_ids JSON NOT NULL,
    reason TEXT NOT NULL,
    decided_by_id INTEGER,
    decided_at DATETIME NOT NULL,
    {amount}
    CONSTRAINT pk_decisions PRIMARY KEY (id),
    CONSTRAINT fk_decisions_application_id_applications FOREIGN KEY(application_id)
        REFERENCES applications (id),
    CONSTRAINT fk_decisions_category_id_categories FOREIGN KEY(category_id)
        REFERENCES categories (id),
    CONSTRAINT fk_decisions_contest_id_contests FOREIGN KEY(contest_id)
        REFERENCES contests (id) ON DELETE CASCADE,
    CONSTRAINT fk_decisions_decided_by_id_users FOREIGN KEY(decided_by_id)
        REFERENCES users (id),
    CONSTRAINT ck_decisions_decision_kind CHECK (kind IN ({kinds}))
)"""
COLUMNS = "id, contest_id, category_id, kind, application_id, winner_ids, reason, decided_by_id, decided_at"
OLD_KINDS = ("tie", "divergence")
NEW_KINDS = ("tie", "divergence", "partial")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _kinds(kinds) -> str:
    return ", ".join(f"'{kind}'" for kind in kinds)


def _rebuild_decisions(kinds, with_amount: bool) -> None:
    """SQLite: the ``decisions`` table anew with these kinds (and the amount or not)."""
    amount = (
        "amount NUMERIC(14, 2) CONSTRAINT ck_decisions_amount_positive "
        "CHECK (amount IS NULL OR amount > 0),"
        if with_amount
        else ""
    )
    columns = COLUMNS + (", amount" if with_amount else "")
    source = COLUMNS + (", NULL" if with_amount else "")
    op.execute(DECISIONS.format(name="decisions_new", amount=amount, kinds=_kinds(kinds)))
    op.execute(f"INSERT INTO decisions_new ({columns}) SELECT {source} FROM decisions")
    op.execute("DROP TABLE decisions")
    op.execute("ALTER TABLE decisions_new RENAME TO decisions")
    op.execute("CREATE INDEX ix_decisions_contest_id ON decisions (contest_id)")


def upgrade():
    for table, column, condition, name in AMOUNTS:
        check = f"{column} IS NULL OR {condition}"
        if _sqlite():
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN {column} NUMERIC(14, 2) "
                f"CONSTRAINT ck_{table}_{name} CHECK ({check})"
            )
        else:
            op.add_column(table, sa.Column(column, AMOUNT, nullable=True))
            op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, check)
    if _sqlite():
        _rebuild_decisions(NEW_KINDS, with_amount=True)
        return
    op.add_column("decisions", sa.Column("amount", AMOUNT, nullable=True))
    op.create_check_constraint(
        op.f("ck_decisions_amount_positive"), "decisions", "amount IS NULL OR amount > 0"
    )
    op.drop_constraint(op.f("ck_decisions_decision_kind"), "decisions", type_="check")
    op.create_check_constraint(
        op.f("ck_decisions_decision_kind"), "decisions", f"kind IN ({_kinds(NEW_KINDS)})"
    )


def downgrade():
    op.execute("DELETE FROM decisions WHERE kind = 'partial'")
    if _sqlite():
        _rebuild_decisions(OLD_KINDS, with_amount=False)
        for table, column, _condition, _name in reversed(AMOUNTS):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return
    op.drop_constraint(op.f("ck_decisions_decision_kind"), "decisions", type_="check")
    op.create_check_constraint(
        op.f("ck_decisions_decision_kind"), "decisions", f"kind IN ({_kinds(OLD_KINDS)})"
    )
    op.drop_constraint(op.f("ck_decisions_amount_positive"), "decisions", type_="check")
    op.drop_column("decisions", "amount")
    for table, column, _condition, name in reversed(AMOUNTS):
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
        op.drop_column(table, column)
