"""The information cut-off of a run: resolved once, by the ingest stage, and read by the rest.

``data.as_of`` is ``today`` (live) or a date (a pinned replay). Live mode needs a source
that lists matches after today; a frozen archive (nothing after today) runs a replay at
``data.replay_as_of`` instead, and says so. The ingest stage writes the decision to
``as_of.json`` (a DVC output); every later stage reads that file and never defaults the
cut-off itself (ADR-0013).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final, Literal

from matchcast.data.io import write_json

Mode = Literal["live", "replay"]
LIVE: Final[Mode] = "live"
REPLAY: Final[Mode] = "replay"


@dataclass(frozen=True)
class AsOf:
    """What a run treats as known: results up to ``as_of``; later matches are scheduled."""

    mode: Mode
    as_of: dt.date
    reason: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form (``as_of.json``, reports, ``model.json``)."""
        return {**asdict(self), "as_of": self.as_of.isoformat()}

    @property
    def label(self) -> str:
        """One line for the console and the dashboard header."""
        return f"{self.mode} as of {self.as_of.isoformat()}: {self.reason}"


def resolve_as_of(
    setting: dt.date | str,
    today: dt.date,
    replay_as_of: dt.date,
    latest_match: dt.date | None,
) -> AsOf:
    """Decide the run's cut-off.

    Args:
        setting: ``data.as_of``: ``"today"`` or a date.
        today: The clock's date (``clock.today()``).
        replay_as_of: ``data.replay_as_of``, used when the source is a frozen archive.
        latest_match: The latest match date the source lists (fixtures included).

    Returns:
        Live at ``today`` when the source lists a match on or after today; else a replay.
    """
    if isinstance(setting, dt.date):
        return AsOf(REPLAY, setting, "data.as_of is pinned in params.yaml")
    if latest_match is not None and latest_match >= today:
        return AsOf(LIVE, today, f"the source lists matches up to {latest_match.isoformat()}")
    # The reason names no date that moves by itself, so a replay's as_of.json (and every
    # stage downstream of it) stays unchanged from one day to the next.
    seen = "no match" if latest_match is None else f"no match after {latest_match.isoformat()}"
    return AsOf(
        REPLAY,
        replay_as_of,
        f"the source lists {seen}, nothing on or after today: a frozen archive, replayed "
        "at data.replay_as_of",
    )


def write_as_of(as_of: AsOf, path: Path) -> None:
    """Write ``as_of.json`` atomically."""
    write_json(as_of.to_dict(), path)


def read_as_of(path: Path) -> AsOf:
    """Read ``as_of.json`` written by the ingest stage.

    Raises:
        ValueError: The file is not an as_of record.
    """
    try:
        raw = json.loads(path.read_text())
        mode = raw["mode"]
        if mode not in (LIVE, REPLAY):
            raise ValueError(f"unknown mode {mode!r}")
        return AsOf(
            LIVE if mode == LIVE else REPLAY,
            dt.date.fromisoformat(raw["as_of"]),
            str(raw["reason"]),
        )
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not an as_of record written by ingest: {error}") from error
