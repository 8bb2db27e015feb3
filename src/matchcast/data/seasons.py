"""Season labels as people write them, and each league's calendar.

Two calendars exist: **split** seasons that cross the new year (Europe: ``2024-25``, first
month usually July or August) and **calendar-year** seasons (Brazil, the USA, Japan,
Scandinavia: ``2024``). A league's calendar is configured (``data.calendars``) or detected
from its own dates: the quietest month of the year is its off-season.

Accepted labels (canonical form on the right):

=============  ===========  ========================================================
``2014-15``    ``2014-15``  also ``2014/15``, ``2014–15``, ``2014 - 15``
``2014/2015``  ``2014-15``  also ``2014-2015``
``14-15``      ``2014-15``  also ``14/15``; two-digit years below 50 are 20xx
``1415``       ``2014-15``  four digits that read as consecutive two-digit years and
                            not as a year 1950–2199 (``1920`` is 2019-20, ``9900`` 1999-00)
``2014``       ``2014``     a calendar-year season
=============  ===========  ========================================================

Anything else is unparseable: the row keeps no label and the contract quarantines it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

SPLIT = "split"
CALENDAR = "calendar"
# The first month of a split season when a league's calendar is neither given nor detectable.
DEFAULT_SPLIT_START = 7
# Two-digit years below this are 20xx, the others 19xx.
CENTURY_PIVOT = 50
# Four digits in this range are a calendar year (``1920`` is not: it is 2019-20).
FIRST_YEAR_LABEL = 1950
LAST_YEAR_LABEL = 2199


def _full_year(two: pd.Series) -> pd.Series:
    """Two-digit years → four-digit years (pivot :data:`CENTURY_PIVOT`)."""
    return two + np.where(two < CENTURY_PIVOT, 2000, 1900)


def _is_next(first: pd.Series, second: pd.Series) -> pd.Series:
    """Whether ``second`` (two digits) is the year after ``first`` (four digits)."""
    return ((first + 1) % 100) == second


def parse_season_labels(values: pd.Series) -> pd.Series:
    """Canonical season labels (``YYYY-YY`` or ``YYYY``); missing where unparseable."""
    text = values.astype("string").str.strip().str.replace("\u2013", "-", regex=False)

    def number(part: pd.Series) -> pd.Series:  # float: a missing part is NaN, never NA
        return pd.to_numeric(part, errors="coerce").astype("float64")

    out = pd.Series(pd.NA, index=values.index, dtype="string")

    long = text.str.extract(r"^(\d{4})\s*[-/]\s*(\d{4}|\d{2})$")
    first = number(long[0])
    second = number(long[1].str[-2:])
    ok = first.notna() & _is_next(first, second).fillna(False)
    out = out.mask(ok, _label(first.where(ok)))

    short = text.str.extract(r"^(\d{2})\s*[-/]\s*(\d{2})$")
    a = number(short[0])
    b = number(short[1])
    year = _full_year(a)
    ok = a.notna() & _is_next(year, b).fillna(False)
    out = out.mask(ok, _label(year.where(ok)))

    four = text.where(text.str.fullmatch(r"\d{4}").fillna(False))
    value = number(four)
    head, tail = value // 100, value % 100
    not_a_year = (value < FIRST_YEAR_LABEL) | (value > LAST_YEAR_LABEL)
    compact = value.notna() & _is_next(_full_year(head), tail) & not_a_year
    compact = compact.fillna(False)
    out = out.mask(compact, _label(_full_year(head).where(compact)))
    calendar = value.notna() & ~compact & ~not_a_year
    out = out.mask(calendar.fillna(False), four)
    return out


def _label(start_year: pd.Series) -> pd.Series:
    """``2014`` → ``"2014-15"`` (missing stays missing)."""
    year = start_year.astype("Int64")
    return year.astype("string") + "-" + ((year + 1) % 100).astype("string").str.zfill(2)


def season_of_dates(dates: pd.Series, calendar: str | int) -> pd.Series:
    """The season label of each date under a calendar.

    Args:
        dates: Match dates.
        calendar: :data:`CALENDAR`, or the first month (1–12) of a split season.
    """
    if calendar == CALENDAR:
        year = dates.dt.year.astype("Int64")
        return pd.Series(year.astype("string"), index=dates.index, dtype="string")
    start = DEFAULT_SPLIT_START if calendar == SPLIT else int(calendar)
    year = (dates.dt.year - (dates.dt.month < start).astype(int)).astype("Int64")
    return pd.Series(_label(year), index=dates.index, dtype="string")


def detect_calendar(dates: pd.Series) -> str | int:
    """A league's calendar from its own match dates.

    The quietest three months in a row (around the year's end too) are the off-season. When
    their middle month falls between November and February the league plays calendar-year
    seasons (Brazil is quietest January to March, the USA November to January); otherwise
    its split season starts the month after (England: June, July). With no dates the
    European default applies.
    """
    months = dates.dropna().dt.month
    if months.empty:
        return DEFAULT_SPLIT_START
    counts = months.value_counts().reindex(range(1, 13), fill_value=0).to_numpy()
    # Three-month sums centred on each month, wrapping around the year.
    around = counts + np.roll(counts, 1) + np.roll(counts, -1)
    quiet = int(np.argmin(around)) + 1
    if quiet in (11, 12, 1, 2):
        return CALENDAR
    return quiet % 12 + 1


def league_calendars(
    leagues: pd.Series,
    dates: pd.Series,
    labels: pd.Series,
    configured: Mapping[str, str | int],
) -> dict[str, str | int]:
    """Each league's calendar: configured, else read from its labels, else from its dates."""
    out: dict[str, str | int] = {}
    for league in leagues.dropna().unique():
        code = str(league)
        if code in configured:
            out[code] = configured[code]
            continue
        mine = (leagues == league).fillna(False)
        given = labels[mine].dropna()
        if not given.empty and (given.str.len() == 4).mean() > 0.5:
            out[code] = CALENDAR
        elif not given.empty:
            out[code] = DEFAULT_SPLIT_START
        else:
            out[code] = detect_calendar(dates[mine])
    return out


def fill_missing_seasons(
    leagues: pd.Series,
    dates: pd.Series,
    labels: pd.Series,
    configured: Mapping[str, str | int] | None = None,
) -> pd.Series:
    """Labels where the source gave none (no column, or an empty cell), from the calendar."""
    calendars = league_calendars(leagues, dates, labels, configured or {})
    out = labels.astype("string").copy()
    missing = out.isna()
    for league, calendar in calendars.items():
        rows = missing & (leagues == league).fillna(False)
        if rows.any():
            out[rows] = season_of_dates(dates[rows], calendar)
    return out
