"""Features carried on from a saved state equal a rebuild from scratch, bit for bit.

The slice is real: the English top two divisions over two seasons of the shared archive,
ingested and validated by the test. A "day" is the table as the validate stage publishes
it at an ``as_of`` date (:func:`matchcast.data.validation.apply_as_of`: later matches
scheduled, their results and statistics hidden). The state is saved and read back through
the same files and functions as the features stage.

Equality is exact (``check_exact``): the passes keep their state in Python floats, saved
as float64 arrays and read back unchanged, and every other feature is recomputed from the
same timeline, so nothing may differ in the last bit; a tolerance would hide a pass that
restores a rounded or stale value.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchcast.data import columns as c
from matchcast.data.ingest import ingest
from matchcast.data.io import file_md5, write_parquet
from matchcast.data.params import DataParams, SeasonRange
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import apply_as_of, validate_matches
from matchcast.features.build import build_features
from matchcast.features.checkpoint import load_checkpoint, save_checkpoint
from matchcast.features.incremental import (
    Update,
    closed_rows,
    update_features,
    with_features_md5,
)
from matchcast.features.params import FeatureParams
from matchcast.features.timeline import build_timeline
from matchcast.pipelines import features as stage

REPO = Path(__file__).resolve().parents[3]
FIRST, LAST = "2022-23", "2023-24"
END = dt.date(2024, 7, 1)


def _shipped_params() -> FeatureParams:
    loaded = yaml.safe_load((REPO / "params.yaml").read_text())
    return FeatureParams.from_params(loaded["features"], use_market_features=True)


PARAMS = _shipped_params()


@pytest.fixture(scope="module")
def season(shared_archive: Path) -> pd.DataFrame:
    """E0 + E1, two seasons, every match finished."""
    params = DataParams(
        football_data=str(shared_archive),
        leagues=["E0", "E1"],
        seasons=SeasonRange(first=FIRST, last=LAST),
        as_of=END,
    )
    with tempfile.TemporaryDirectory() as cache:
        result = ingest(params, Fetcher(Path(cache)))
    matches = validate_matches(result.matches, result.issues, END, 0.005).matches
    assert len(matches) > 1500 and (matches[c.STATUS] == c.FINISHED).all()
    return matches


def _day(matches: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    return apply_as_of(matches, as_of)


def _save(update: Update, folder: Path) -> tuple[Path, Path]:
    """Write features and state as the stage does; return their paths."""
    features, state = folder / "features.parquet", folder / "state.npz"
    write_parquet(update.features, features)
    save_checkpoint(with_features_md5(update.checkpoint, file_md5(features)), state)
    return features, state


def _carry_on(
    first: pd.DataFrame,
    second: pd.DataFrame,
    params: FeatureParams = PARAMS,
    second_params: FeatureParams | None = None,
) -> Update:
    """Build ``first`` from scratch, save, then build ``second`` from what was saved."""
    with tempfile.TemporaryDirectory() as folder:
        features, state = _save(update_features(first, params, None), Path(folder))
        previous = stage.load_previous(state, features)
        assert previous is not None
        return update_features(second, second_params or params, previous)


def _dates(matches: pd.DataFrame) -> list[dt.date]:
    return sorted({d.date() for d in pd.to_datetime(matches[c.DATE])})


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(position=st.floats(0.0, 1.0), step=st.integers(1, 21))
def test_carried_on_equals_rebuilt(season: pd.DataFrame, position: float, step: int) -> None:
    dates = _dates(season)
    cut = dates[int(position * (len(dates) - 1))]
    later = cut + dt.timedelta(days=step)
    today, tomorrow = _day(season, cut), _day(season, later)
    update = _carry_on(today, tomorrow)
    assert update.reused_rows > 0, update.reason
    expected = build_features(tomorrow, PARAMS)
    pd.testing.assert_frame_equal(update.features, expected, check_exact=True)


def test_carried_on_to_the_end_equals_rebuilt(season: pd.DataFrame) -> None:
    """Every match finished on the second day: the cut is the table's end."""
    dates = _dates(season)
    update = _carry_on(_day(season, dates[len(dates) // 2]), season)
    assert update.reused_rows > 0 and update.checkpoint.rows == len(season)
    pd.testing.assert_frame_equal(update.features, build_features(season, PARAMS), check_exact=True)


def test_a_corrected_past_result_rebuilds(season: pd.DataFrame) -> None:
    dates = _dates(season)
    today = _day(season, dates[200])
    tomorrow = _day(season, dates[201])
    # The first match of the slice, corrected: every later rating moves.
    first = tomorrow[c.KICKOFF].idxmin()
    corrected = tomorrow.copy()
    corrected.loc[first, c.HOME_GOALS] = corrected.loc[first, c.HOME_GOALS] + 3
    corrected.loc[first, c.RESULT] = "H"
    update = _carry_on(today, corrected)
    assert update.reused_rows == 0
    assert update.reason == "a match on or before the saved cut changed"
    pd.testing.assert_frame_equal(
        update.features, build_features(corrected, PARAMS), check_exact=True
    )


def test_a_match_added_before_the_cut_rebuilds(season: pd.DataFrame) -> None:
    dates = _dates(season)
    today = _day(season.iloc[1:], dates[150])
    tomorrow = _day(season, dates[151])  # the first match appears late, with its old date
    update = _carry_on(today, tomorrow)
    assert update.reused_rows == 0
    pd.testing.assert_frame_equal(
        update.features, build_features(tomorrow, PARAMS), check_exact=True
    )


def test_changed_params_rebuild(season: pd.DataFrame) -> None:
    dates = _dates(season)
    today, tomorrow = _day(season, dates[100]), _day(season, dates[101])
    faster = PARAMS.model_copy(update={"elo": PARAMS.elo.model_copy(update={"k": 12.0})})
    update = _carry_on(today, tomorrow, PARAMS, faster)
    assert update.reused_rows == 0
    assert update.reason == "the features parameters or code changed"
    pd.testing.assert_frame_equal(
        update.features, build_features(tomorrow, faster), check_exact=True
    )


def test_scheduled_matches_are_recomputed_every_day(season: pd.DataFrame) -> None:
    dates = _dates(season)
    today, tomorrow = _day(season, dates[300]), _day(season, dates[301])
    with tempfile.TemporaryDirectory() as folder:
        first = update_features(today, PARAMS, None)
        features, state = _save(first, Path(folder))
        second = update_features(tomorrow, PARAMS, stage.load_previous(state, features))
    # The saved rows are finished; every scheduled match lies after them.
    saved = first.features.iloc[: first.checkpoint.rows]
    assert (saved[c.STATUS] == c.FINISHED).all()
    assert (first.features[c.STATUS].iloc[first.checkpoint.rows :] == c.SCHEDULED).all()
    assert 0 < second.reused_rows <= first.checkpoint.rows
    # A match still scheduled on both days sees the results of dates[301].
    still = first.features[c.MATCH_ID].isin(
        tomorrow.loc[tomorrow[c.STATUS] == c.SCHEDULED, c.MATCH_ID]
    )
    before = first.features.loc[still].set_index(c.MATCH_ID)["f_elo_diff"]
    after = second.features.set_index(c.MATCH_ID).loc[before.index, "f_elo_diff"]
    assert not np.array_equal(before.to_numpy(), after.to_numpy())
    pd.testing.assert_frame_equal(
        second.features, build_features(tomorrow, PARAMS), check_exact=True
    )


def test_stage_carries_on_and_rebuilds_when_the_features_file_is_not_its_own(
    make_matches: Callable[..., pd.DataFrame], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [
        ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
        ("2020-08-08", "c", "a", 1, 1, "E0", "2020-21"),
        ("2020-08-15", "b", "c", 0, 1, "E0", "2020-21"),
        ("2020-08-22", "a", "c", None, None, "E0", "2020-21"),
    ]
    matches, params = tmp_path / "matches.parquet", tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"features": {}, "model": {}}))
    out, state = tmp_path / "features.parquet", tmp_path / "state.npz"
    make_matches(rows).to_parquet(matches)
    run = {"matches": matches, "params": params, "out": out, "state": state}
    stage.main(**run)
    first = stage.load_previous(state, out)
    assert first is not None and first.checkpoint.rows == 3
    stage.main(**run)
    caplog.set_level("INFO")
    stage.main(**run)
    assert "carried on from 3 saved rows" in caplog.text
    # Another features file (a dvc checkout, a run that stopped between the two writes).
    pd.read_parquet(out).iloc[:2].to_parquet(out)
    assert stage.load_previous(state, out) is None
    stage.main(**run)
    assert len(pd.read_parquet(out)) == 4
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_damaged_state_file_rebuilds(
    make_matches: Callable[..., pd.DataFrame], tmp_path: Path
) -> None:
    rows = [
        ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
        ("2020-08-08", "c", "a", None, None, "E0", "2020-21"),
    ]
    matches, params = tmp_path / "matches.parquet", tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"features": {}, "model": {}}))
    out, state = tmp_path / "features.parquet", tmp_path / "state.npz"
    make_matches(rows).to_parquet(matches)
    stage.main(matches=matches, params=params, out=out, state=state)
    assert stage.load_previous(state, out) is not None
    state.write_bytes(state.read_bytes()[:100])
    assert load_checkpoint(state) is None
    stage.main(matches=matches, params=params, out=out, state=state)
    assert stage.load_previous(state, out) is not None


def test_parts_of_a_timeline_follow_date_groups(make_matches: Callable[..., pd.DataFrame]) -> None:
    rows = [
        ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
        ("2020-08-01", "c", "d", 1, 0, "E0", "2020-21"),
        ("2020-08-08", "c", "a", None, None, "E0", "2020-21"),
    ]
    tl = build_timeline(make_matches(rows), {})
    assert closed_rows(tl) == 2
    assert tl.rows(2, 3).n == 1 and tl.rows(2, 3).n_teams == tl.n_teams
    with pytest.raises(ValueError, match="date groups"):
        tl.rows(1, 3)


def test_per_league_elo_switches_rebuild_the_whole_timeline(season: pd.DataFrame) -> None:
    """Their windows of recent results are not in the saved state: no carrying on."""
    switched = PARAMS.model_copy(
        update={
            "elo": PARAMS.elo.model_copy(update={"home_advantage_from": "results"}),
            "elo_variants": PARAMS.elo_variants.model_copy(update={"league_k_window": 60}),
        }
    )
    dates = _dates(season)
    today, tomorrow = _day(season, dates[150]), _day(season, dates[151])
    update = _carry_on(today, tomorrow, switched)
    assert update.reused_rows == 0
    assert update.reason == "the per-league Elo switches are rebuilt each run"
    expected = build_features(tomorrow, switched)
    pd.testing.assert_frame_equal(update.features, expected, check_exact=True)
