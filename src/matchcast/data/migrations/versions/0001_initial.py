"""Initial schema: teams, matches and the append-only prediction log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATS = (
    "ht_home_goals",
    "ht_away_goals",
    "home_shots",
    "away_shots",
    "home_shots_on_target",
    "away_shots_on_target",
    "home_corners",
    "away_corners",
    "home_fouls",
    "away_fouls",
    "home_yellow",
    "away_yellow",
    "home_red",
    "away_red",
)
_TS = sa.DateTime(timezone=True)

_PG_APPEND_ONLY = (
    """
    CREATE FUNCTION prediction_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'prediction_log is append-only ('
            || TG_OP || ' refused)';
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER prediction_log_append_only
        BEFORE UPDATE OR DELETE ON prediction_log
        FOR EACH ROW EXECUTE FUNCTION prediction_log_append_only()
    """,
)
_SQLITE_APPEND_ONLY = (
    """
    CREATE TRIGGER prediction_log_no_update BEFORE UPDATE ON prediction_log
    BEGIN SELECT RAISE(ABORT, 'prediction_log is append-only (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER prediction_log_no_delete BEFORE DELETE ON prediction_log
    BEGIN SELECT RAISE(ABORT, 'prediction_log is append-only (DELETE refused)'); END
    """,
)


def upgrade() -> None:
    """Create the three tables and the append-only guard."""
    op.create_table(
        "teams",
        sa.Column("team_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("league", sa.String(128), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "matches",
        sa.Column("match_id", sa.String(128), primary_key=True),
        sa.Column("league", sa.String(128), nullable=False),
        sa.Column("season", sa.String(128), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kickoff", _TS, nullable=False),
        sa.Column("kickoff_time_known", sa.Boolean(), nullable=False),
        sa.Column("home_team", sa.String(128), nullable=False),
        sa.Column("away_team", sa.String(128), nullable=False),
        sa.Column("home_team_id", sa.String(128), sa.ForeignKey("teams.team_id"), nullable=False),
        sa.Column("away_team_id", sa.String(128), sa.ForeignKey("teams.team_id"), nullable=False),
        sa.Column("home_goals", sa.Integer(), nullable=True),
        sa.Column("away_goals", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(128), nullable=True),
        sa.Column("status", sa.String(128), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=True) for name in _STATS),
        sa.Column("odds_pre_home", sa.Float(), nullable=True),
        sa.Column("odds_pre_draw", sa.Float(), nullable=True),
        sa.Column("odds_pre_away", sa.Float(), nullable=True),
        sa.Column("odds_pre_source", sa.String(128), nullable=True),
        sa.Column("odds_close_home", sa.Float(), nullable=True),
        sa.Column("odds_close_draw", sa.Float(), nullable=True),
        sa.Column("odds_close_away", sa.Float(), nullable=True),
        sa.Column("odds_close_source", sa.String(128), nullable=True),
        sa.Column("source", sa.String(128), nullable=True),
        sa.Column("source_file", sa.String(512), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_matches_home_team_id", "matches", ["home_team_id"])
    op.create_index("ix_matches_away_team_id", "matches", ["away_team_id"])
    op.create_index("ix_matches_league_season", "matches", ["league", "season"])
    op.create_index("ix_matches_kickoff", "matches", ["kickoff"])
    op.create_table(
        "prediction_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("match_id", sa.String(128), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("model_run_id", sa.String(64), nullable=True),
        sa.Column("p_home", sa.Float(), nullable=False),
        sa.Column("p_draw", sa.Float(), nullable=False),
        sa.Column("p_away", sa.Float(), nullable=False),
        sa.Column("predicted", sa.String(1), nullable=False),
        sa.Column("data_version", sa.String(128), nullable=False),
        sa.Column("features_as_of", _TS, nullable=True),
        sa.Column("computed_at", _TS, nullable=False),
        sa.Column("logged_at", _TS, nullable=False),
        sa.UniqueConstraint(
            "match_id",
            "model_name",
            "model_version",
            "data_version",
            "computed_at",
            name="uq_prediction_log_run",
        ),
    )
    op.create_index("ix_prediction_log_match_id", "prediction_log", ["match_id"])
    dialect = op.get_bind().dialect.name
    statements = {"postgresql": _PG_APPEND_ONLY, "sqlite": _SQLITE_APPEND_ONLY}
    for statement in statements.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    """Drop everything the upgrade created."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS prediction_log_append_only ON prediction_log")
        op.execute("DROP FUNCTION IF EXISTS prediction_log_append_only()")
    op.drop_index("ix_prediction_log_match_id", table_name="prediction_log")
    op.drop_table("prediction_log")
    op.drop_index("ix_matches_kickoff", table_name="matches")
    op.drop_index("ix_matches_league_season", table_name="matches")
    op.drop_index("ix_matches_away_team_id", table_name="matches")
    op.drop_index("ix_matches_home_team_id", table_name="matches")
    op.drop_table("matches")
    op.drop_table("teams")
