"""Vectorised normalisation shared by every source: dates, kick-offs, team ids, match ids,
seasons and the selection of odds triples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from matchcast.data import columns as c

SITE_TIMEZONE = "Europe/London"  # football-data.co.uk gives UK local times
# Letters that Unicode decomposition does not reduce to ASCII (they would vanish otherwise).
_UNDECOMPOSABLE = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i", "þ": "th"}
)


def slugify(names: pd.Series) -> pd.Series:
    """Stable URL-safe ids from names: ASCII-folded, lower case, ``-`` between words.

    ``"Nott'm Forest"`` → ``"nott-m-forest"``; ``"Köln"`` → ``"koln"``;
    ``"Preußen Münster"`` → ``"preussen-munster"``; ``"King’s Lynn"`` → ``"king-s-lynn"``
    (any other symbol separates words, as ``'`` does).
    """
    folded = (
        names.astype("string")
        .str.lower()
        .str.translate(_UNDECOMPOSABLE)
        .str.normalize("NFKD")
        .str.replace(r"[\u0300-\u036f]", "", regex=True)  # the accents split off by NFKD
    )
    return folded.str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-").astype("string")


def parse_day_first_dates(values: pd.Series) -> pd.Series:
    """Parse ``dd/mm/yy``, ``dd/mm/yyyy`` and unpadded ``d/m/yyyy`` dates; NaT when invalid.

    Two-digit years pivot at 50: ``93`` → 1993, ``05`` → 2005.
    """
    parts = (
        values.astype("string")
        .str.strip()
        .str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
    )
    # float, not nullable Int64: a non-matching value must become NaN (then NaT), not <NA>
    day = pd.to_numeric(parts[0], errors="coerce").astype("float64")
    month = pd.to_numeric(parts[1], errors="coerce").astype("float64")
    year = pd.to_numeric(parts[2], errors="coerce").astype("float64")
    two_digit = (parts[2].str.len() == 2).fillna(False).to_numpy(dtype=bool)
    year = year + np.where(two_digit, np.where(year < 50, 2000.0, 1900.0), 0.0)
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    return pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")


def parse_iso_dates(values: pd.Series) -> pd.Series:
    """Parse ISO ``yyyy-mm-dd`` dates; NaT when invalid."""
    return pd.to_datetime(
        values.astype("string").str.strip(), format="%Y-%m-%d", errors="coerce"
    ).astype("datetime64[ns]")


def kickoffs(
    dates: pd.Series, times: pd.Series | None, timezone: str = SITE_TIMEZONE
) -> tuple[pd.Series, pd.Series]:
    """Combine local dates and ``HH:MM`` times into UTC kick-offs.

    Returns:
        The UTC kick-off (local midnight when the time is unknown) and a bool "time known" mask.
    """
    if times is None:
        times = pd.Series(pd.NA, index=dates.index, dtype="string")
    parts = times.astype("string").str.strip().str.extract(r"^(\d{1,2})[:.](\d{2})")
    hours = pd.to_numeric(parts[0], errors="coerce")
    minutes = pd.to_numeric(parts[1], errors="coerce")
    known = (hours.notna() & minutes.notna() & (hours < 24) & (minutes < 60)).to_numpy()
    offset = pd.to_timedelta(hours.fillna(0) * 60 + minutes.fillna(0), unit="min")
    offset = offset.where(known, pd.Timedelta(0))
    local = (dates + offset).dt.tz_localize(
        timezone, ambiguous=np.zeros(len(dates), dtype=bool), nonexistent="shift_forward"
    )
    return local.dt.tz_convert("UTC"), pd.Series(known, index=dates.index)


def season_from_code(code: str) -> str:
    """``"2425"`` → ``"2024-25"``; ``"9900"`` → ``"1999-00"``."""
    first = int(code[:2])
    year = 1900 + first if first >= 50 else 2000 + first
    return f"{year}-{code[2:]}"


def season_code(season: str) -> str:
    """``"2024-25"`` → ``"2425"`` (the site's folder name)."""
    return season[2:4] + season[5:7]


def season_start_year(season: str) -> int:
    """First calendar year of a season label (``"2024-25"`` or ``"2024"``)."""
    return int(season[:4])


def seasons_between(first: str, last: str) -> list[str]:
    """Every split-year season label from ``first`` to ``last`` inclusive."""
    start, end = season_start_year(first), season_start_year(last)
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(start, end + 1)]


def split_season_of(dates: pd.Series) -> pd.Series:
    """The split-year (July–June) season label of each date."""
    # Int64, so a missing date gives a missing label, not "2024.0-25.0" for every row
    year = (dates.dt.year - (dates.dt.month < 7).astype(int)).astype("Int64")
    label = year.astype("string") + "-" + ((year + 1) % 100).astype("string").str.zfill(2)
    return pd.Series(label, index=dates.index, dtype="string")


def match_ids(
    league: pd.Series, dates: pd.Series, home_id: pd.Series, away_id: pd.Series
) -> pd.Series:
    """Human-readable stable ids: ``<league>-<yyyy-mm-dd>-<home>-<away>``."""
    ids = (
        league.astype("string")
        + "-"
        + dates.dt.strftime("%Y-%m-%d").astype("string")
        + "-"
        + home_id.astype("string")
        + "-"
        + away_id.astype("string")
    )
    return pd.Series(ids, index=league.index, dtype="string")


def to_float(frame: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column as float (NaN when absent or unparseable)."""
    if name not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[name], errors="coerce").astype("float64")


def first_complete_triple(
    frame: pd.DataFrame, candidates: Sequence[tuple[str, tuple[str, str, str]]]
) -> tuple[np.ndarray, pd.Series]:
    """Pick, row by row, the first candidate odds triple whose three prices are all valid (> 1).

    Args:
        frame: Source columns.
        candidates: ``(label, (home_col, draw_col, away_col))`` in order of preference.

    Returns:
        An ``(n, 3)`` float array (NaN where no candidate is complete) and the label used.
    """
    n = len(frame)
    odds = np.full((n, 3), np.nan)
    labels = pd.Series(pd.NA, index=frame.index, dtype="string")
    filled = np.zeros(n, dtype=bool)
    for label, cols in candidates:
        if not all(col in frame.columns for col in cols):
            continue
        triple = np.column_stack([to_float(frame, col).to_numpy() for col in cols])
        valid = np.all(triple > 1.0, axis=1) & ~filled
        if valid.any():
            odds[valid] = triple[valid]
            labels[valid] = label
            filled |= valid
    return odds, labels


def empty_canonical() -> pd.DataFrame:
    """A canonical match frame with no rows."""
    return pd.DataFrame({name: pd.Series(dtype="object") for name in c.CANONICAL_COLUMNS})


def result_from_goals(home_goals: pd.Series, away_goals: pd.Series) -> pd.Series:
    """The H/D/A letter implied by a score; <NA> where either side is missing."""
    diff = (home_goals.astype("float64") - away_goals.astype("float64")).to_numpy()
    letters = np.select([diff > 0, diff == 0, diff < 0], ["H", "D", "A"], "")
    return pd.Series(letters, index=home_goals.index, dtype="string").replace("", pd.NA)
