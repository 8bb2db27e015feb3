"""Forecast batches: each published batch's files, so that API replicas on other hosts load it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "forecast_batches",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("published_at", _TS, nullable=False),
    )
    op.create_table(
        "forecast_batch_files",
        sa.Column(
            "version",
            sa.Integer,
            sa.ForeignKey("forecast_batches.version", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("forecast_batch_files")
    op.drop_table("forecast_batches")
