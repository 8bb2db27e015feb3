"""The output contract of build_features and the DVC stage around it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from matchcast.data import columns as c
from matchcast.features.build import KEY_COLUMNS, build_features
from matchcast.features.params import FeatureParams
from matchcast.pipelines import features as stage

ROWS = [
    ("2020-08-08", "c", "a", 1, 1, "E0", "2020-21"),
    ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
    ("2020-08-15", "b", "c", None, None, "E0", "2020-21"),
]


def test_contract_keys_then_float_features_in_time_order(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    m = make_matches(ROWS)
    m.loc[:, list(c.ODDS_PRE)] = [[2.0, 3.5, 4.0]] * 3
    f = build_features(m, FeatureParams())
    assert list(f.columns[: len(KEY_COLUMNS)]) == list(KEY_COLUMNS)
    assert sorted(f[c.MATCH_ID]) == sorted(m[c.MATCH_ID])
    assert f[c.DATE].is_monotonic_increasing
    feats = [col for col in f.columns if col not in KEY_COLUMNS]
    assert feats and all(col.startswith("f_") for col in feats)
    assert all(f[col].dtype == np.float64 for col in feats)
    assert f[c.STATUS].tolist() == [c.FINISHED, c.FINISHED, c.SCHEDULED]
    with_market = build_features(m, FeatureParams(use_market_features=True))
    market = [col for col in with_market.columns if col.startswith("m_")]
    assert set(market) == {"m_p_home", "m_p_draw", "m_p_away", "m_overround"}
    probs = with_market[["m_p_home", "m_p_draw", "m_p_away"]].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_stage_reads_params_and_writes_parquet(
    make_matches: Callable[..., pd.DataFrame], tmp_path: Path
) -> None:
    matches = tmp_path / "matches.parquet"
    make_matches(ROWS).to_parquet(matches)
    params = tmp_path / "params.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "features": {"elo": {"k": 12.0}, "form": {"windows": [3], "venue_windows": [3]}},
                "model": {"use_market_features": True},
            }
        )
    )
    out = tmp_path / "features" / "features.parquet"
    stage.main(matches=matches, params=params, out=out)
    frame = pd.read_parquet(out)
    assert len(frame) == 3
    assert "f_home_form3_points" in frame.columns and "f_home_form5_points" not in frame.columns
    assert "m_p_home" in frame.columns
    assert list(tmp_path.joinpath("features").iterdir()) == [out]  # no temp file left behind


def test_repository_params_validate() -> None:
    root = Path(__file__).resolve().parents[3]
    params = stage.load_feature_params(root / "params.yaml")
    assert params.league_levels["E0"] == 1 and params.league_levels["EC"] == 5
