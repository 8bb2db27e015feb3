"""The typed ``data:`` section of params.yaml."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from matchcast.data.params import (
    ARCHIVE_DIVISIONS,
    DataParams,
    SeasonRange,
    load_data_params,
    load_section,
)


def test_defaults_cover_the_seventeen_archive_divisions() -> None:
    params = DataParams()
    assert params.leagues == ARCHIVE_DIVISIONS
    assert len(set(params.leagues)) == 17
    assert params.as_of == "today"
    assert params.replay_as_of == dt.date(2026, 3, 1)


def test_today_must_be_resolved_before_the_current_season_is_known() -> None:
    with pytest.raises(ValueError, match=r"data\.as_of is 'today': resolve it"):
        DataParams().current_season()
    assert DataParams().at(dt.date(2026, 12, 3)).current_season() == "2026-27"


def test_current_season_switches_in_july() -> None:
    assert DataParams(as_of=dt.date(2026, 3, 1)).current_season() == "2025-26"
    assert DataParams(as_of=dt.date(2026, 6, 30)).current_season() == "2025-26"
    assert DataParams(as_of=dt.date(2026, 7, 1)).current_season() == "2026-27"
    assert DataParams(as_of=dt.date(2000, 1, 1)).current_season() == "1999-00"


def test_season_range_with_open_end_reaches_the_current_season() -> None:
    params = DataParams(seasons=SeasonRange(first="2022-23"), as_of=dt.date(2025, 3, 1))
    assert params.season_labels() == ["2022-23", "2023-24", "2024-25"]


def test_season_range_with_explicit_end() -> None:
    params = DataParams(seasons={"first": "1998-99", "last": "2000-01"})  # type: ignore[arg-type]
    assert params.season_labels() == ["1998-99", "1999-00", "2000-01"]


def test_all_seasons_start_in_1993() -> None:
    labels = DataParams(seasons="all", as_of=dt.date(2026, 3, 1)).season_labels()
    assert labels[0] == "1993-94"
    assert labels[-1] == "2025-26"
    assert len(labels) == 33


def test_explicit_season_list() -> None:
    assert DataParams(seasons=["2023-24", "2019-20"]).season_labels() == ["2023-24", "2019-20"]


@pytest.mark.parametrize("bad", ["2024-26", "2024/25", "24-25", "2024-2025"])
def test_bad_season_labels_are_rejected(bad: str) -> None:
    with pytest.raises(ValidationError, match="season"):
        SeasonRange(first=bad)


def test_unknown_seasons_keyword_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"data\.seasons"):
        DataParams(seasons="recent").season_labels()


@pytest.mark.parametrize("bad", ["", "E 0", "../E0"])
def test_league_codes_must_be_alphanumeric(bad: str) -> None:
    with pytest.raises(ValidationError, match="alphanumeric"):
        DataParams(leagues=[bad])


def test_unknown_keys_fail_fast() -> None:
    with pytest.raises(ValidationError):
        DataParams.model_validate({"leagues": ["E0"], "leauges": ["E1"]})


def test_load_from_yaml_and_the_env_override_wins(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(
        "data:\n"
        "  football_data: https://example.invalid\n"
        "  leagues: [E0, D1]\n"
        "  seasons: {first: 2023-24, last: 2024-25}\n"
        "  as_of: '2025-03-01'\n"
        "validate:\n  max_bad_row_share: 0.01\n"
    )
    params = load_data_params(path)
    assert params.football_data == "https://example.invalid"
    assert params.leagues == ["E0", "D1"]
    assert params.season_labels() == ["2023-24", "2024-25"]
    assert params.as_of == dt.date(2025, 3, 1)
    assert load_data_params(path, "/srv/archive").football_data == "/srv/archive"
    assert load_section(path, "validate") == {"max_bad_row_share": 0.01}
    assert load_section(path, "absent") == {}


def test_the_repository_params_file_is_valid() -> None:
    path = Path(__file__).resolve().parents[3] / "params.yaml"
    params = load_data_params(path)
    assert params.as_of == "today" and params.fixtures is True
    assert params.at(params.replay_as_of).season_labels()[0] == "2000-01"
    assert set(params.leagues) == set(ARCHIVE_DIVISIONS)


def test_a_section_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("data: [1, 2]\n")
    with pytest.raises(ValueError, match="mapping"):
        load_section(path, "data")
