"""Behavioural checks of a trained 1X2 model on a small real slice.

The slice is the English top two divisions (E0 + E1) over a few seasons of the real
archive, ingested and validated by the test itself. Features come from the project's own
feature builder, with hypothetical fixtures appended after the slice's last match
(scheduled rows, so the builder gives them the point-in-time state); the model is fitted
with the settings in params.yaml. Checks: probabilities are valid, a much stronger home
side gets a higher home probability, and a swapped fixture mirrors sensibly (the home
side's edge flips sides without flipping the favourite).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from matchcast.data import columns as C
from matchcast.data.ingest import ingest
from matchcast.data.params import DataParams, SeasonRange
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import validate_matches
from matchcast.features.build import build_features
from matchcast.features.params import FeatureParams
from matchcast.models import metrics
from matchcast.models.estimator import ModelParams, OutcomeModel

REPO = Path(__file__).resolve().parents[2]
PARAMS = REPO / "params.yaml"
LEAGUES = ("E0", "E1")
FIRST_SEASON, TEST_SEASON = "2017-18", "2024-25"
FIXTURE_DAY = pd.Timestamp("2025-07-20")


def _params() -> tuple[FeatureParams, ModelParams]:
    loaded = yaml.safe_load(PARAMS.read_text()) or {}
    model = dict(loaded.get("model") or {})
    model.pop("tuning", None)
    model_params = ModelParams.model_validate(model)
    feature_params = FeatureParams.from_params(
        loaded.get("features") or {}, model_params.use_market_features
    )
    return feature_params, model_params


def _fixture(
    template: pd.Series, home: tuple[str, str], away: tuple[str, str], n: int
) -> dict[str, object]:
    row = {col: template[col] for col in template.index}
    for col in (*C.STAT_COLUMNS, *C.ODDS_PRE, *C.ODDS_CLOSE):
        row[col] = np.nan
    row.update(
        {
            C.MATCH_ID: f"E0-fixture-{n}",
            C.LEAGUE: "E0",
            C.SEASON: "2025-26",
            C.DATE: FIXTURE_DAY + pd.Timedelta(days=n),
            C.KICKOFF: pd.Timestamp(FIXTURE_DAY + pd.Timedelta(days=n), tz="UTC"),
            C.HOME_TEAM: home[0],
            C.HOME_ID: home[1],
            C.AWAY_TEAM: away[0],
            C.AWAY_ID: away[1],
            C.HOME_GOALS: pd.NA,
            C.AWAY_GOALS: pd.NA,
            C.RESULT: pd.NA,
            C.STATUS: C.SCHEDULED,
        }
    )
    return row


def _real_matches(archive: Path) -> pd.DataFrame:
    """Ingest and validate the slice from the real archive (no pipeline run needed)."""
    params = DataParams(
        football_data=str(archive),
        leagues=list(LEAGUES),
        seasons=SeasonRange(first=FIRST_SEASON, last=TEST_SEASON),
        as_of=dt.date(2025, 7, 1),
    )
    with tempfile.TemporaryDirectory() as cache:
        result = ingest(params, Fetcher(Path(cache)))
    return validate_matches(result.matches, result.issues, params.as_of, 0.005).matches


@pytest.fixture(scope="module")
def trained(shared_archive: Path) -> tuple[OutcomeModel, pd.DataFrame, dict[str, str]]:
    matches = _real_matches(shared_archive)
    seasons = matches[C.SEASON].astype(str)
    slice_ = matches[
        matches[C.LEAGUE].isin(LEAGUES)
        & (seasons >= FIRST_SEASON)
        & (seasons <= TEST_SEASON)
        & (matches[C.STATUS] == C.FINISHED)
    ].reset_index(drop=True)
    if slice_[C.SEASON].nunique() < 5:
        pytest.skip("the match table lacks the E0/E1 seasons of the behavioural slice")
    # Strongest, weakest and two mid-table sides of the last E0 season by points per match.
    last = slice_[(slice_[C.LEAGUE] == "E0") & (slice_[C.SEASON] == TEST_SEASON)]
    points: dict[tuple[str, str], list[int]] = {}
    for h, hid, a, aid, r in last[
        [C.HOME_TEAM, C.HOME_ID, C.AWAY_TEAM, C.AWAY_ID, C.RESULT]
    ].itertuples(index=False):
        points.setdefault((h, hid), []).append({"H": 3, "D": 1, "A": 0}[r])
        points.setdefault((a, aid), []).append({"H": 0, "D": 1, "A": 3}[r])
    table = sorted(points, key=lambda t: np.mean(points[t]))
    teams = {
        "weak": table[0],
        "strong": table[-1],
        "mid": table[len(table) // 2],
        "mid2": table[len(table) // 2 + 1],
    }
    pairs = [
        ("strong", "weak"),
        ("weak", "strong"),
        ("strong", "mid"),
        ("weak", "mid"),
        ("mid", "mid2"),
    ]
    template = last.iloc[-1]
    fixtures = pd.DataFrame(
        [_fixture(template, teams[h], teams[a], i) for i, (h, a) in enumerate(pairs)]
    ).astype(slice_.dtypes.to_dict())
    feature_params, model_params = _params()
    frame = build_features(pd.concat([slice_, fixtures], ignore_index=True), feature_params)
    train = frame[(frame[C.STATUS] == C.FINISHED) & (frame[C.SEASON] < TEST_SEASON)]
    model = OutcomeModel(model_params).fit(train)
    frame = frame.set_index(C.MATCH_ID, drop=False)
    return model, frame, {f"{h}-{a}": f"E0-fixture-{i}" for i, (h, a) in enumerate(pairs)}


def _proba(model: OutcomeModel, frame: pd.DataFrame, match_id: str) -> np.ndarray:
    return model.predict_proba(frame.loc[[match_id]])[0]


def test_probabilities_are_valid_and_informative(trained) -> None:  # type: ignore[no-untyped-def]
    model, frame, _ = trained
    test = frame[(frame[C.SEASON] == TEST_SEASON) & (frame[C.STATUS] == C.FINISHED)]
    p = model.predict_proba(test)
    assert np.isfinite(p).all() and (p > 0).all() and (p < 1).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    y = metrics.outcome_codes(test[C.RESULT])
    train = frame[(frame[C.STATUS] == C.FINISHED) & (frame[C.SEASON] < TEST_SEASON)]
    prior = np.bincount(metrics.outcome_codes(train[C.RESULT]), minlength=3) / len(train)
    # A real model beats the class prior on an unseen season by a clear margin ...
    assert metrics.log_loss(p, y) < metrics.log_loss(np.tile(prior, (len(y), 1)), y) - 0.02
    # ... but not by more than the closing market can (~0.96-1.0 here): far better means a
    # feature leaks the result of its own match.
    assert metrics.log_loss(p, y) > 0.9


def test_much_stronger_home_side_gets_higher_home_probability(trained) -> None:  # type: ignore[no-untyped-def]
    model, frame, ids = trained
    strong = _proba(model, frame, ids["strong-mid"])
    weak = _proba(model, frame, ids["weak-mid"])
    assert strong[0] > weak[0] + 0.15
    assert strong[2] < weak[2] - 0.10


def test_swapped_fixture_mirrors_sensibly(trained) -> None:  # type: ignore[no-untyped-def]
    model, frame, ids = trained
    ab = _proba(model, frame, ids["strong-weak"])  # strong at home
    ba = _proba(model, frame, ids["weak-strong"])  # the same sides, venues swapped
    # The strong side stays the favourite either way ...
    assert ab[0] > ab[2] and ba[2] > ba[0]
    # ... and playing at home helps each side, by a home advantage of sensible size.
    assert 0.0 < ab[0] - ba[2] < 0.25
    assert 0.0 < ba[0] - ab[2] < 0.25
    # The most lopsided fixture (strongest at home to the weakest) is the least likely draw.
    others = [_proba(model, frame, ids[k])[1] for k in ("weak-strong", "strong-mid", "mid-mid2")]
    assert ab[1] < min(others)
