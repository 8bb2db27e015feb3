"""Features from a saved state: recompute only the matches after the last closed date.

A day of operation adds a few dozen results to a table of 150,000 matches, yet every
chronological pass starts again from the first season. Instead, the build saves where its
passes stood after the *closed* rows — the date groups before the first one holding a
match without a result — with a digest of those rows (:mod:`matchcast.features.checkpoint`).
The next run carries on from that state when the same rows of the new match table have the
same digest and the features parameters and code are unchanged: it runs the passes over
the later rows only and appends them to the saved features of the closed rows. Anything
else (a corrected past result, a new league or season with older matches, a match added
on or before the cut, changed parameters or code) rebuilds from scratch. Scheduled matches
always lie after the cut, so they are recomputed every run.

The vectorised features (form, context, head-to-head, market) are recomputed over the
whole timeline every run; they are exact integer window sums and cost a fraction of the
passes. Both paths give the same frame, bit for bit (property-tested).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matchcast.data import columns as c
from matchcast.features.build import Prepared, assemble, prepare, run_passes
from matchcast.features.checkpoint import (
    Checkpoint,
    config_digest,
    prefix_digest,
    row_hashes,
)
from matchcast.features.params import FeatureParams
from matchcast.features.passes import PassStates, carries_state
from matchcast.features.timeline import FloatArray, Timeline

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Previous:
    """What the last run left: its checkpoint and the features it wrote with it."""

    checkpoint: Checkpoint
    features: pd.DataFrame


@dataclass(frozen=True)
class Update:
    """The features of every match and the checkpoint to save for the next run."""

    features: pd.DataFrame
    checkpoint: Checkpoint  # ``features_md5`` is left for the writer to fill in
    reused_rows: int  # rows taken from the previous features (0: rebuilt from scratch)
    reason: str  # why the previous state was or was not used


def closed_rows(tl: Timeline) -> int:
    """Rows of the date groups before the first group that holds an unfinished match.

    Args:
        tl: The timeline.

    Returns:
        A date-group boundary; ``tl.n`` when every match is finished.
    """
    open_rows = np.flatnonzero(~tl.finished)
    if len(open_rows) == 0:
        return tl.n
    starts = tl.group_starts
    return int(starts[np.searchsorted(starts, open_rows[0], side="right") - 1])


def _refusal(
    prep: Prepared, hashes: np.ndarray, config: str, previous: Previous | None
) -> str | None:
    """Why the previous state cannot be carried on, or None when it can."""
    if previous is None:
        return "no saved state"
    ck = previous.checkpoint
    if ck.config_digest != config:
        return "the features parameters or code changed"
    k, tl = ck.rows, prep.tl
    if k > tl.n or not (k == tl.n or np.isin(k, tl.group_starts)):
        return "matches were added on or before the saved cut"
    if k and int(tl.day[k - 1]) != ck.cut_day:
        return "matches were removed on or before the saved cut"
    if prefix_digest(prep.ordered, hashes, k) != ck.prefix_digest:
        return "a match on or before the saved cut changed"
    ids = prep.ordered[c.MATCH_ID].to_numpy()[:k]
    if len(previous.features) < k or not np.array_equal(
        previous.features[c.MATCH_ID].to_numpy()[:k], ids
    ):
        return "the saved features do not hold the saved rows"
    return None


def _concat(parts: list[dict[str, FloatArray]]) -> dict[str, FloatArray]:
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def update_features(
    matches: pd.DataFrame, params: FeatureParams, previous: Previous | None
) -> Update:
    """The features of every match, carrying on from ``previous`` when it still applies.

    Args:
        matches: Canonical match table.
        params: Feature parameters.
        previous: The last run's checkpoint and features; None to build from scratch.

    Returns:
        The same frame as :func:`matchcast.features.build.build_features`, and the
        checkpoint at this table's closed rows.
    """
    started = time.perf_counter()
    prep = prepare(matches, params)
    hashes = row_hashes(prep.ordered)
    config = config_digest(params)
    refusal = _refusal(prep, hashes, config, previous)
    if previous is not None and refusal is None:
        start, states = previous.checkpoint.rows, PassStates.from_arrays(previous.checkpoint.states)
    else:
        start, states = 0, PassStates.fresh(params)
    # Without a carried state the passes run in one piece and the checkpoint holds no rows.
    cut = closed_rows(prep.tl) if carries_state(params) else 0
    if not carries_state(params):
        refusal = "the per-league Elo switches are rebuilt each run"
    before_cut = run_passes(prep, params, states, start, cut)
    saved = states.to_arrays()
    after_cut = run_passes(prep, params, states, cut, prep.tl.n)
    tail = assemble(prep, _concat([before_cut, after_cut]), start)
    if start == 0 or previous is None:
        frame = tail
    elif tail.empty:
        frame = previous.features.iloc[:start].reset_index(drop=True)
    else:
        frame = pd.concat([previous.features.iloc[:start], tail], ignore_index=True)
    checkpoint = Checkpoint(
        rows=cut,
        cut_day=int(prep.tl.day[cut - 1]) if cut else -1,
        prefix_digest=prefix_digest(prep.ordered, hashes, cut),
        config_digest=config,
        features_md5="",
        states=saved,
    )
    reason = refusal or f"carried on from {start} saved rows"
    logger.info(
        "features: %d matches, %d recomputed (%s), state saved at %d rows, %.1f s",
        len(frame),
        len(tail),
        reason,
        cut,
        time.perf_counter() - started,
    )
    return Update(frame, checkpoint, start, reason)


def with_features_md5(checkpoint: Checkpoint, md5: str) -> Checkpoint:
    """The checkpoint, bound to the features file it was written with."""
    return dataclasses.replace(checkpoint, features_md5=md5)
