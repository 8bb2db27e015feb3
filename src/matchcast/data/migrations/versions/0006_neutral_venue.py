"""Matches: whether the match was played on neutral ground (no home side).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows stored before the column existed were league matches at the home side's ground.
    with op.batch_alter_table("matches") as batch:
        batch.add_column(
            sa.Column("neutral", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("matches") as batch:
        batch.drop_column("neutral")
