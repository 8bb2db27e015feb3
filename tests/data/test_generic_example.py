"""The generic-format example the README shows (docs/examples/generic-results.csv) stays true.

The file is read through the real ingest and validate path, as ``data.generic: [path]``
would read it: every row is accepted, each season label style means what the README says,
the league without labels gets its seasons from its calendar, the cup final is on neutral
ground, and the row without a score is a scheduled match.
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
from matchcast.data.validation import ValidationResult, validate_matches

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "generic-results.csv"
AS_OF = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> ValidationResult:
    params = DataParams.model_validate(
        {
            "football_data": str(REPO / "no-archive"),
            "leagues": [],
            "generic": [str(EXAMPLE)],
            "as_of": AS_OF,
        }
    )
    read = ingest(params, Fetcher(tmp_path_factory.mktemp("cache")))
    assert read.issues.empty
    return validate_matches(read.matches, read.issues, AS_OF, 0.0)


def test_the_readme_points_at_the_example() -> None:
    assert "docs/examples/generic-results.csv" in (REPO / "README.md").read_text()


def test_every_row_of_the_example_is_accepted(validated: ValidationResult) -> None:
    raw = pd.read_csv(EXAMPLE, dtype=str)
    assert validated.quarantine.empty
    assert len(validated.matches) == len(raw)


def test_every_label_style_reads_as_its_season(validated: ValidationResult) -> None:
    raw = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    matches = validated.matches.set_index(c.SOURCE_LINE)
    seasons = matches.loc[raw.index + 2, c.SEASON].tolist()  # line 1 is the header
    by_label = dict(zip(raw["season"] + "@" + raw["league"], seasons, strict=True))
    for label in ("2014-15", "2014/15", "2014/2015", "14-15"):
        assert by_label[f"{label}@ENG"] == "2014-15"
    assert by_label["1516@ENG"] == "2015-16"
    assert by_label["2014@XBR"] == "2014"
    # No label: the calendar-year league's season is the year of the date.
    xbr = matches[matches[c.LEAGUE] == "XBR"].set_index(c.DATE)[c.SEASON]
    assert xbr[pd.Timestamp("2014-11-30")] == "2014"
    assert xbr[pd.Timestamp("2030-05-04")] == "2030"


def test_neutral_ground_odds_and_fixtures_are_kept(validated: ValidationResult) -> None:
    m = validated.matches
    assert m.loc[m[c.NEUTRAL], c.LEAGUE].tolist() == ["FAC"]
    assert m[c.ODDS_CLOSE[0]].notna().sum() == 1
    assert m.loc[m[c.STATUS] == c.SCHEDULED, c.HOME_TEAM].tolist() == ["Rio Azul"]
