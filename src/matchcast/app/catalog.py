"""The match catalog behind ``GET /matches``: the canonical match table, held as arrays.

Loaded once (sorted by kick-off) and filtered per request with numpy masks; no
probabilities here, only what a client needs to discover match ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchcast.data import columns as C

CATALOG_COLUMNS = (
    C.MATCH_ID,
    C.LEAGUE,
    C.SEASON,
    C.DATE,
    C.KICKOFF,
    C.HOME_TEAM,
    C.AWAY_TEAM,
    C.STATUS,
    C.RESULT,
    C.HOME_GOALS,
    C.AWAY_GOALS,
)


@dataclass(frozen=True)
class MatchCatalog:
    """Column arrays of the match table, sorted by kick-off then match id."""

    match_id: npt.NDArray[np.object_]
    league: npt.NDArray[np.object_]
    league_code: npt.NDArray[np.int32]  # filters compare small integers, not strings
    league_codes: dict[str, int]
    status_code: npt.NDArray[np.int32]
    status_codes: dict[str, int]
    season: npt.NDArray[np.object_]
    day: npt.NDArray[np.datetime64]  # local match date, datetime64[D]
    day_iso: npt.NDArray[np.object_]
    kickoff_iso: npt.NDArray[np.object_]
    home_team: npt.NDArray[np.object_]
    away_team: npt.NDArray[np.object_]
    status: npt.NDArray[np.object_]
    result: npt.NDArray[np.object_]
    home_goals: npt.NDArray[np.object_]
    away_goals: npt.NDArray[np.object_]
    position: dict[str, int]

    def __len__(self) -> int:
        return len(self.match_id)

    def status_of(self, match_id: str) -> str | None:
        """Return the status of a match, or None when the id is unknown."""
        pos = self.position.get(match_id)
        return None if pos is None else str(self.status[pos])

    def select(
        self,
        league: str | None,
        status: str | None,
        date_from: dt.date | None,
        date_to: dt.date | None,
    ) -> npt.NDArray[np.intp]:
        """Return the positions of the matches that pass every given filter."""
        mask = np.ones(len(self), dtype=bool)
        if league is not None:
            mask &= self.league_code == self.league_codes.get(league, -1)
        if status is not None:
            mask &= self.status_code == self.status_codes.get(status, -1)
        if date_from is not None:
            mask &= self.day >= np.datetime64(date_from, "D")
        if date_to is not None:
            mask &= self.day <= np.datetime64(date_to, "D")
        return np.flatnonzero(mask)

    def summaries(
        self, positions: npt.NDArray[np.intp], predicted: Container[str]
    ) -> list[dict[str, Any]]:
        """Return the JSON-ready summaries of the matches at ``positions``."""
        items: list[dict[str, Any]] = []
        for pos in positions.tolist():
            match_id = str(self.match_id[pos])
            has_prediction = match_id in predicted
            items.append(
                {
                    "match_id": match_id,
                    "league": self.league[pos],
                    "season": self.season[pos],
                    "date": self.day_iso[pos],
                    "kickoff": self.kickoff_iso[pos],
                    "home_team": self.home_team[pos],
                    "away_team": self.away_team[pos],
                    "status": self.status[pos],
                    "result": self.result[pos],
                    "home_goals": self.home_goals[pos],
                    "away_goals": self.away_goals[pos],
                    "has_prediction": has_prediction,
                    "prediction_url": f"/predict/{match_id}" if has_prediction else None,
                }
            )
        return items


def _nullable(series: pd.Series[Any], cast: type) -> npt.NDArray[np.object_]:
    values = series.astype(object).where(series.notna(), None)
    return np.array([None if v is None else cast(v) for v in values], dtype=object)


def _utc_iso(values: pd.Series[Any]) -> npt.NDArray[np.object_]:
    stamps = pd.to_datetime(values, utc=True)
    return np.array(stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist(), dtype=object)


def build_catalog(frame: pd.DataFrame) -> MatchCatalog:
    """Build the catalog from a frame with the :data:`CATALOG_COLUMNS`.

    Args:
        frame: Canonical match rows (the match table, or the predictions as a fallback).

    Returns:
        The sorted catalog.

    Raises:
        ValueError: A column is missing or a match id repeats.
    """
    missing = [c for c in CATALOG_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"match table lacks columns {missing}")
    if frame[C.MATCH_ID].duplicated().any():
        raise ValueError("match table has duplicate match ids")
    frame = frame.assign(_kick=pd.to_datetime(frame[C.KICKOFF], utc=True)).sort_values(
        ["_kick", C.MATCH_ID], kind="stable"
    )
    day = pd.to_datetime(frame[C.DATE]).to_numpy(dtype="datetime64[D]")
    match_id = frame[C.MATCH_ID].astype(str).to_numpy(dtype=object)
    league_code, leagues = pd.factorize(frame[C.LEAGUE].astype(str))
    status_code, statuses = pd.factorize(frame[C.STATUS].astype(str))
    return MatchCatalog(
        match_id=match_id,
        league=frame[C.LEAGUE].astype(str).to_numpy(dtype=object),
        league_code=league_code.astype(np.int32),
        league_codes={str(v): i for i, v in enumerate(leagues)},
        status_code=status_code.astype(np.int32),
        status_codes={str(v): i for i, v in enumerate(statuses)},
        season=frame[C.SEASON].astype(str).to_numpy(dtype=object),
        day=day,
        day_iso=np.array([str(d) for d in day], dtype=object),
        kickoff_iso=_utc_iso(frame["_kick"]),
        home_team=frame[C.HOME_TEAM].astype(str).to_numpy(dtype=object),
        away_team=frame[C.AWAY_TEAM].astype(str).to_numpy(dtype=object),
        status=frame[C.STATUS].astype(str).to_numpy(dtype=object),
        result=_nullable(frame[C.RESULT], str),
        home_goals=_nullable(frame[C.HOME_GOALS], int),
        away_goals=_nullable(frame[C.AWAY_GOALS], int),
        position={m: i for i, m in enumerate(match_id.tolist())},
    )


def load_catalog(path: Path) -> MatchCatalog:
    """Read the catalog columns of ``matches.parquet`` and build the catalog."""
    return build_catalog(pd.read_parquet(path, columns=list(CATALOG_COLUMNS)))


def catalog_from_predictions(frame: pd.DataFrame) -> MatchCatalog:
    """Build a catalog of scheduled matches from ``predictions.parquet`` (fallback).

    Used when the match table is absent: every predicted match is scheduled.
    """
    kickoff = pd.to_datetime(frame["kickoff"], utc=True)
    rows = pd.DataFrame(
        {
            C.MATCH_ID: frame["match_id"],
            C.LEAGUE: frame["league"],
            C.SEASON: frame["season"],
            C.DATE: kickoff.dt.tz_localize(None).dt.normalize(),
            C.KICKOFF: kickoff,
            C.HOME_TEAM: frame["home_team"],
            C.AWAY_TEAM: frame["away_team"],
            C.STATUS: C.SCHEDULED,
            C.RESULT: None,
            C.HOME_GOALS: None,
            C.AWAY_GOALS: None,
        }
    )
    return build_catalog(rows)
