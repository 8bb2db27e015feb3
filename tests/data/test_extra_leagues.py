"""The four real extra-leagues files (ARG, BRA, MEX, USA), each alone and all together.

Each configuration ingests and validates under the bad-row gate, keeps the calendar-year
seasons that run into the next year (Brazil 2020 ended in February 2021) and yields a test
period of two complete seasons per league: split-year for Mexico, calendar-year for the
others. The full pipeline on the four together is measured in docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.data.ingest import ingest
from matchcast.data.params import DataParams
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import validate_matches
from matchcast.models.test_period import league_test_seasons

MAX_BAD_ROW_SHARE = 0.005  # the gate of params.yaml
COUNTRIES = ("ARG", "BRA", "MEX", "USA")
EXPECTED_TEST = {"ARG": ["2024", "2025"], "BRA": ["2024", "2025"], "MEX": ["2023-24", "2024-25"],
                 "USA": ["2024", "2025"]}  # fmt: skip


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.mark.parametrize("countries", [*[(c,) for c in COUNTRIES], COUNTRIES])
def test_extra_leagues_validate_and_have_per_league_test_seasons(
    shared_archive: Path, cache: Path, countries: tuple[str, ...]
) -> None:
    if not (shared_archive / "new" / "BRA.csv").is_file():
        pytest.skip("the archive has no extra-leagues files")
    params = DataParams(
        football_data=str(shared_archive),
        leagues=[],
        extra_leagues=list(countries),
        seasons="all",
        fixtures=False,
        as_of=dt.date(2026, 3, 1),
    )
    ingested = ingest(params, Fetcher(cache))
    validated = validate_matches(ingested.matches, ingested.issues, params.as_of, MAX_BAD_ROW_SHARE)
    matches = validated.matches
    assert set(matches[c.LEAGUE]) == set(countries)
    dropped = len(ingested.matches) - len(matches)
    assert dropped <= MAX_BAD_ROW_SHARE * len(ingested.matches)
    assert validated.report["gates"]["worst_file_share"] <= MAX_BAD_ROW_SHARE
    if "BRA" in countries:
        bra_2020 = matches[(matches[c.LEAGUE] == "BRA") & (matches[c.SEASON] == "2020")]
        assert bra_2020[c.DATE].max() >= pd.Timestamp("2021-02-01")
    by_league = league_test_seasons(matches, str(params.as_of), 2)
    assert by_league == {code: EXPECTED_TEST[code] for code in countries}
