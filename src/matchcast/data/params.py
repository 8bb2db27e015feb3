"""Typed view of the ``data:`` section of ``params.yaml``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from matchcast.config import DEFAULT_FOOTBALL_DATA

ARCHIVE_DIVISIONS = [
    "E0", "E1", "E2", "E3", "EC", "SC0", "SC1", "SC2", "SC3",
    "D1", "D2", "I1", "I2", "SP1", "SP2", "F1", "F2",
]  # fmt: skip


class SeasonRange(BaseModel):
    """First and last season to read; ``last`` None means the season containing ``as_of``."""

    model_config = ConfigDict(extra="forbid")

    first: str = "2000-01"
    last: str | None = None

    @field_validator("first", "last")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        if value is None:
            return value
        value = str(value)
        if len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit():
            raise ValueError(f"season must look like 2024-25, got {value!r}")
        if (int(value[:4]) + 1) % 100 != int(value[5:]):
            raise ValueError(f"season {value!r} is not two consecutive years")
        return value


class DataParams(BaseModel):
    """Which sources, leagues and seasons are read, and the backtest cut-off."""

    model_config = ConfigDict(extra="forbid")

    football_data: str = DEFAULT_FOOTBALL_DATA
    leagues: list[str] = Field(default_factory=lambda: list(ARCHIVE_DIVISIONS))
    seasons: SeasonRange | list[str] | str = Field(default_factory=SeasonRange)
    extra_leagues: list[str] = Field(default_factory=list)
    fixtures: bool | str = False
    generic: list[str] = Field(default_factory=list)
    # League -> "calendar" (seasons are calendar years) or the first month (1-12) of its
    # split season; used for generic rows without a season label. Detected when absent.
    calendars: dict[str, Literal["calendar"] | Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=dict
    )
    # "today": live (resolved once per run by the ingest stage, matchcast.data.as_of).
    as_of: dt.date | Literal["today"] = "today"
    replay_as_of: dt.date = dt.date(2026, 3, 1)
    refresh_current_season: bool = True

    @field_validator("leagues", "extra_leagues")
    @classmethod
    def _codes(cls, values: list[str]) -> list[str]:
        for code in values:
            if not code or not str(code).replace("_", "").isalnum():
                raise ValueError(f"league codes are alphanumeric, got {code!r}")
        return [str(code) for code in values]

    def season_labels(self) -> list[str]:
        """Every season label to read, oldest first."""
        from matchcast.data.normalize import seasons_between

        if isinstance(self.seasons, str):
            if self.seasons != "all":
                raise ValueError(
                    f"data.seasons must be 'all', a list or first/last, got {self.seasons!r}"
                )
            return seasons_between("1993-94", self.current_season())
        if isinstance(self.seasons, list):
            return [SeasonRange(first=s).first for s in self.seasons]
        return seasons_between(self.seasons.first, self.seasons.last or self.current_season())

    def at(self, as_of: dt.date) -> DataParams:
        """These parameters with ``as_of`` resolved to a date."""
        return self.model_copy(update={"as_of": as_of})

    def cutoff(self) -> dt.date:
        """The resolved ``as_of``.

        Raises:
            ValueError: ``as_of`` is still ``today``: resolve it first (``matchcast.data.as_of``).
        """
        if not isinstance(self.as_of, dt.date):
            raise ValueError("data.as_of is 'today': resolve it with matchcast.data.as_of first")
        return self.as_of

    def current_season(self) -> str:
        """The season that contains ``as_of``."""
        as_of = self.cutoff()
        start = as_of.year - (1 if as_of.month < 7 else 0)
        return f"{start}-{(start + 1) % 100:02d}"


def load_section(params_path: Path, section: str) -> dict[str, Any]:
    """Read one top-level section of a YAML params file (empty dict when absent)."""
    loaded = yaml.safe_load(params_path.read_text()) or {}
    value = loaded.get(section) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{params_path}: section {section!r} must be a mapping")
    return value


def load_data_params(params_path: Path, football_data_override: str | None = None) -> DataParams:
    """Build :class:`DataParams` from ``params.yaml``; the env override wins for the base."""
    section = load_section(params_path, "data")
    if football_data_override:
        section["football_data"] = football_data_override
    return DataParams.model_validate(section)
