"""Time-decayed Poisson strengths and the Dixon–Coles 1X2 they imply."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from matchcast.features.params import PriorParams, StrengthParams
from matchcast.features.poisson_strengths import strength_pass
from matchcast.features.timeline import build_timeline

NO_DECAY = StrengthParams(decay_per_day=0.0, shrinkage=1.0, newcomer_weight=6.0)
LEVEL_DEFAULT = PriorParams(min_teams=1000)
ROWS = [
    ("2020-08-01", "a", "b", 3, 0, "E0", "2020-21"),
    ("2020-08-08", "a", "b", None, None, "E0", "2020-21"),
]


def test_one_result_by_hand(make_matches: Callable[..., pd.DataFrame]) -> None:
    tl = build_timeline(make_matches(ROWS), {})
    out = strength_pass(
        tl, tl.home_goals, tl.away_goals, NO_DECAY, LEVEL_DEFAULT, "dc", (1.5, 1.15)
    )
    assert out["f_dc_home_attack"][0] == 1.0 and out["f_dc_exp_home"][0] == pytest.approx(1.5)
    attack_a = (6 + 3 + 1) / (6 + 1.5 + 1)
    concede_b = (6 + 3 + 1) / (6 + 1.5 + 1)
    attack_b = (6 + 0 + 1) / (6 + 1.15 + 1)
    assert out["f_dc_home_attack"][1] == pytest.approx(attack_a)
    assert out["f_dc_away_concede"][1] == pytest.approx(concede_b)
    assert out["f_dc_away_attack"][1] == pytest.approx(attack_b)
    league_home = (3 + 20 * 1.5) / 21
    assert out["f_dc_exp_home"][1] == pytest.approx(league_home * attack_a * concede_b)


def test_decay_forgets_old_results(make_matches: Callable[..., pd.DataFrame]) -> None:
    rows = [ROWS[0], ("2024-08-08", "a", "b", None, None, "E0", "2024-25")]
    tl = build_timeline(make_matches(rows), {})
    kept = strength_pass(
        tl, tl.home_goals, tl.away_goals, NO_DECAY, LEVEL_DEFAULT, "dc", (1.5, 1.15)
    )
    decayed = strength_pass(
        tl,
        tl.home_goals,
        tl.away_goals,
        StrengthParams(decay_per_day=0.01, shrinkage=1.0),
        LEVEL_DEFAULT,
        "dc",
        (1.5, 1.15),
    )
    assert decayed["f_dc_home_attack"][1] == pytest.approx(1.0, abs=1e-4)
    assert kept["f_dc_home_attack"][1] > 1.1


def test_counts_missing_give_nan_when_asked(make_matches: Callable[..., pd.DataFrame]) -> None:
    tl = build_timeline(make_matches(ROWS), {})
    missing = np.full(tl.n, np.nan)
    out = strength_pass(
        tl, missing, missing, NO_DECAY, LEVEL_DEFAULT, "sot", (4.8, 3.9), nan_without_data=True
    )
    assert all(np.isnan(v).all() for v in out.values())
