"""The test period: the last ``n`` complete seasons of each league, or a date range.

Leagues keep different calendars (split-year ``2024-25`` in Europe, calendar-year ``2024`` in
Brazil or the USA), so "the last two seasons" is decided per league, never over the labels
of every league pooled (which would mix ``2021-22`` with ``2022``). Alternatively
``evaluate.test_from`` makes every finished match dated from that day up to ``as_of`` the test
period. Test rows are then predicted season label by season label, each by a model fitted
before that season's first test match (:func:`matchcast.models.tuning.walk_forward_fit`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from matchcast.data import columns as C
from matchcast.data import seasons as S
from matchcast.models.estimator import seasons_in_order

#: Key of the rows when the frame has no league column (one league).
ONE_LEAGUE = ""


def _in_progress(label: str, cutoff: pd.Timestamp, calendar: str | int) -> bool:
    """Whether ``label`` is the league's season running at ``cutoff``.

    No split season runs in the month before its first month nor in its first month (the
    summer break: on 1 June or 1 July 2025 ``2024-25`` is over for a July league); a
    calendar-year season runs through its whole year.
    """
    current = str(S.season_of_dates(pd.Series([cutoff]), calendar).iloc[0])
    if calendar != S.CALENDAR:
        start = S.DEFAULT_SPLIT_START if calendar == S.SPLIT else int(calendar)
        if cutoff.month in ((start - 2) % 12 + 1, start):
            return False
    return label == current


def _calendar_of(labels: pd.Series, dates: pd.Series) -> str | int:
    """A league's calendar from its labels (``2024`` = calendar year) or its dates."""
    known = labels.dropna()
    if not known.empty and (known.str.len() == 4).mean() > 0.5:
        return S.CALENDAR
    detected = S.detect_calendar(dates)
    return S.DEFAULT_SPLIT_START if detected == S.CALENDAR else detected


def league_test_seasons(frame: pd.DataFrame, as_of: str, n: int) -> dict[str, list[str]]:
    """Each league's last ``n`` complete seasons before ``as_of``, oldest first.

    A season is complete when it has no scheduled match, its last match is on or before
    ``as_of`` and it is not the league's season running at ``as_of``.

    Raises:
        ValueError: A league has fewer than ``n`` complete seasons (named in the message).
    """
    cutoff = pd.Timestamp(as_of)
    leagues = (
        frame[C.LEAGUE].astype("string")
        if C.LEAGUE in frame.columns
        else pd.Series(ONE_LEAGUE, index=frame.index, dtype="string")
    )
    out: dict[str, list[str]] = {}
    short: list[str] = []
    for league in sorted(leagues.dropna().unique()):
        rows = frame.loc[(leagues == league).to_numpy(dtype=bool)]
        season = rows[C.SEASON].astype("string")
        calendar = _calendar_of(season, rows[C.DATE])
        last = rows.groupby(season, observed=True)[C.DATE].max()
        scheduled = set(season[(rows[C.STATUS] == C.SCHEDULED).to_numpy(dtype=bool)].dropna())
        complete = [
            s
            for s in seasons_in_order(rows)
            if s not in scheduled
            and pd.Timestamp(str(last[s])) <= cutoff
            and not _in_progress(s, cutoff, calendar)
        ]
        if len(complete) < n:
            short.append(f"{league or 'the data'}: {complete}")
        out[str(league)] = complete[-n:]
    if short:
        raise ValueError(f"need {n} complete seasons before {as_of}, found {'; '.join(short)}")
    return out


def _in_test(frame: pd.DataFrame, by_league: dict[str, list[str]]) -> np.ndarray:
    season = frame[C.SEASON].astype("string")
    if C.LEAGUE not in frame.columns:
        return season.isin(by_league.get(ONE_LEAGUE, [])).to_numpy(dtype=bool)
    league = frame[C.LEAGUE].astype("string")
    mask = np.zeros(len(frame), dtype=bool)
    for code, labels in by_league.items():
        mask |= ((league == code) & season.isin(labels)).fillna(False).to_numpy(dtype=bool)
    return mask


def find_test_seasons(frame: pd.DataFrame, as_of: str, n: int) -> list[str]:
    """Every test season label (of any league), ordered by first match date."""
    by_league = league_test_seasons(frame, as_of, n)
    return seasons_in_order(frame.loc[_in_test(frame, by_league)])


def split_period(
    features: pd.DataFrame,
    as_of: str,
    n_test_seasons: int,
    test_from: dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Training rows (finished, before the test period) and test rows.

    Args:
        features: features frame (finished and scheduled rows).
        as_of: the data cut-off.
        n_test_seasons: how many complete seasons of each league form the test period.
        test_from: if set, the test period is every finished match dated from this day up
            to ``as_of`` instead (``n_test_seasons`` is then ignored).

    Returns:
        (training rows, test rows, test season labels ordered by first test match).
    """
    finished = (features[C.STATUS] == C.FINISHED).to_numpy(dtype=bool) & features[
        C.RESULT
    ].notna().to_numpy(dtype=bool)
    if test_from is not None:
        dates = features[C.DATE]
        in_test = ((dates >= pd.Timestamp(test_from)) & (dates <= pd.Timestamp(as_of))).to_numpy(
            dtype=bool
        )
        if not (in_test & finished).any():
            raise ValueError(f"no finished match between test_from {test_from} and {as_of}")
    else:
        in_test = _in_test(features, league_test_seasons(features, as_of, n_test_seasons))
    test = features.loc[in_test & finished]
    test_start = test[C.DATE].min()
    before = (features[C.DATE] < test_start).to_numpy(dtype=bool)
    return features.loc[finished & before & ~in_test], test, seasons_in_order(test)
