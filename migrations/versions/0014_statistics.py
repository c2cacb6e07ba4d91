"""statistics: aggregates kept by projectors (stat_counts), scan activity folded in from scans
(stat_scans, stat_scan_flags, stat_scan_mark), reports' triage, certificates by end date

The aggregates start empty: ``traceapp ledger rebuild`` fills stat_counts from the ledger, and
the next statistics read folds in every scan recorded so far.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

_KEY = ("metric", "producer", "province", "commune", "k1", "k2", "k3")


def upgrade() -> None:
    op.create_table(
        "stat_counts",
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("producer", sa.String(length=32), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("commune", sa.String(length=100), nullable=False),
        sa.Column("k1", sa.String(length=40), nullable=False),
        sa.Column("k2", sa.String(length=40), nullable=False),
        sa.Column("k3", sa.String(length=40), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("amount_milli", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, name=op.f("pk_stat_counts")),
    )
    op.create_table(
        "stat_scans",
        sa.Column("producer", sa.String(length=32), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("scans", sa.BigInteger(), nullable=False),
        sa.Column("signals", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "producer", "province", "product", "month", name=op.f("pk_stat_scans")
        ),
    )
    op.create_table(
        "stat_scan_flags",
        sa.Column("item_public_id", sa.String(length=32), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("item_public_id", name=op.f("pk_stat_scan_flags")),
    )
    op.create_table(
        "stat_scan_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_scan_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_scan_mark")),
    )
    op.create_table(
        "report_triage",
        sa.Column("report_public_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_public_id", name=op.f("pk_report_triage")),
    )
    with op.batch_alter_table("report_triage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_triage_state"), ["state"], unique=False)
    op.create_table(
        "report_triage_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("report_public_id", sa.String(length=32), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("old_state", sa.String(length=16), nullable=False),
        sa.Column("new_state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_triage_changes")),
    )
    with op.batch_alter_table("report_triage_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_triage_changes_report_public_id"),
            ["report_public_id"],
            unique=False,
        )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certifications_valid_until"), ["valid_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifications_valid_until"))
    with op.batch_alter_table("report_triage_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_triage_changes_report_public_id"))
    op.drop_table("report_triage_changes")
    with op.batch_alter_table("report_triage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_triage_state"))
    op.drop_table("report_triage")
    op.drop_table("stat_scan_mark")
    op.drop_table("stat_scan_flags")
    op.drop_table("stat_scans")
    op.drop_table("stat_counts")
