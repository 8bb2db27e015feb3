"""The validate stage: contracts, quarantine, repairs, gates and the ``as_of`` cut-off.

Rows are built by the real parser from small inline CSV samples, so the frames have
exactly the shape the ingest stage produces.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.data.contracts import MATCH_TABLE
from matchcast.data.sources.csvtext import DROPPED, REPAIRED, empty_issues
from matchcast.data.sources.football_data import parse_division_file, parse_fixtures_file
from matchcast.data.sources.generic import parse_generic_file
from matchcast.data.validation import (
    QUARANTINE_COLUMNS,
    GateError,
    ValidationResult,
    apply_as_of,
    validate_matches,
)

AS_OF = dt.date(2025, 3, 1)
HEADER = (
    "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS,HF,AF,HY,AY,PSH,PSD,PSA,PSCH,PSCD,PSCA"
)
TEAMS = ["Arsenal", "Chelsea", "Everton", "Fulham", "Leeds", "Spurs", "Wolves", "Burnley"]


def line(
    date: str, home: str, away: str, hg: str = "1", ag: str = "0", ftr: str = "H", stats: str = ""
) -> str:
    stats = stats or "10,8,11,12,1,2"
    return f"E0,{date},15:00,{home},{away},{hg},{ag},{ftr},{stats},2.0,3.4,4.0,2.1,3.3,3.9"


def filler(n: int, start: str = "2024-09-01") -> list[str]:
    """``n`` valid, distinct rows on consecutive days."""
    day = pd.Timestamp(start)
    rows = []
    for i in range(n):
        home, away = TEAMS[i % 8], TEAMS[(i + 1 + i // 8) % 8]
        if home == away:
            away = TEAMS[(i + 2) % 8]
        rows.append(line((day + pd.Timedelta(days=i)).strftime("%d/%m/%Y"), home, away))
    return rows


def rows(lines: list[str], file: str = "mmz4281/2425/E0.csv") -> pd.DataFrame:
    payload = ("\n".join([HEADER, *lines]) + "\n").encode()
    frame, _ = parse_division_file(payload, file, "E0", "2024-25")
    return frame


def validate(
    raw: pd.DataFrame, share: float = 0.005, issues: pd.DataFrame | None = None
) -> ValidationResult:
    return validate_matches(raw, empty_issues() if issues is None else issues, AS_OF, share)


def test_clean_rows_are_published_and_meet_the_table_contract() -> None:
    result = validate(rows(filler(20)))
    MATCH_TABLE.validate(result.matches)
    assert list(result.matches.columns) == list(c.CANONICAL_COLUMNS)
    assert len(result.matches) == 20
    assert result.matches[c.STATUS].eq(c.FINISHED).all()
    assert result.matches[c.KICKOFF].is_monotonic_increasing
    assert str(result.matches[c.HOME_GOALS].dtype) == "Int64"
    assert result.quarantine.empty
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    report = result.report
    assert (report["rows_in"], report["rows_out"], report["dropped"], report["repaired"]) == (
        20,
        20,
        0,
        0,
    )
    assert report["matches_per_league_season"] == {"E0": {"2024-25": 20}}
    assert report["gates"]["duplicate_match_ids"] == 0


def test_duplicate_match_id_fails_the_stage_naming_id_and_lines() -> None:
    lines = [*filler(5), line("01/09/2024", "Arsenal", "Chelsea", "2", "2", "D")]
    with pytest.raises(GateError, match="duplicate match ids") as error:
        validate(rows(lines))
    message = str(error.value)
    assert "E0-2024-09-01-arsenal-chelsea" in message
    assert "mmz4281/2425/E0.csv:2" in message and "mmz4281/2425/E0.csv:7" in message


def test_duplicates_across_files_are_caught_too() -> None:
    raw = pd.concat([rows(filler(3), "a.csv"), rows(filler(3), "b.csv")], ignore_index=True)
    with pytest.raises(GateError, match=r"3 duplicate match ids.*a\.csv:2"):
        validate(raw, share=1.0)


def test_past_match_without_score_is_dropped_with_its_reason_file_and_line() -> None:
    lines = [*filler(300), line("14/12/2024", "Leeds", "Wolves", "", "", "")]
    result = validate(rows(lines))
    assert len(result.matches) == 300
    assert "E0-2024-12-14-leeds-wolves" not in set(result.matches[c.MATCH_ID])
    dropped = result.quarantine[result.quarantine["severity"] == DROPPED]
    assert len(dropped) == 1
    row = dropped.iloc[0]
    assert row[c.SOURCE_FILE] == "mmz4281/2425/E0.csv"
    assert row[c.SOURCE_LINE] == 302
    assert "no final score" in row["reason"]
    assert row[c.MATCH_ID] == "E0-2024-12-14-leeds-wolves"
    assert result.report["dropped"] == 1
    assert result.report["files_with_quarantined_rows"] == {
        "mmz4281/2425/E0.csv": {"rows": 301, "dropped": 1}
    }


def test_file_over_the_bad_row_share_fails_naming_the_file() -> None:
    good = rows(filler(50), "mmz4281/2425/E0.csv")
    bad = rows(
        [*filler(9, "2024-11-01"), line("14/12/2024", "Leeds", "Wolves", "", "", "")],
        "mmz4281/2425/E1.csv",
    )
    raw = pd.concat([good, bad], ignore_index=True)
    with pytest.raises(GateError, match="bad-row gate") as error:
        validate(raw)
    assert "mmz4281/2425/E1.csv 1/10" in str(error.value)
    assert "mmz4281/2425/E0.csv" not in str(error.value)
    # the same rows pass with a looser gate, the bad one quarantined
    result = validate(raw, share=0.2)
    assert len(result.matches) == 59


def test_a_share_exactly_at_the_gate_passes() -> None:
    lines = [*filler(199), line("14/12/2024", "Leeds", "Wolves", "", "", "")]
    result = validate(rows(lines))  # 1 / 200 = 0.5 %
    assert result.report["gates"]["worst_file_share"] == pytest.approx(0.005)


def test_empty_source_fails() -> None:
    with pytest.raises(GateError, match="empty"):
        validate(rows([]))


def test_everything_quarantined_fails() -> None:
    with pytest.raises(GateError, match="every row was quarantined"):
        validate(rows([line("14/12/2024", "Leeds", "Wolves", "", "", "")]), share=1.0)


def test_result_letter_contradicting_the_goals_is_recomputed_and_reported() -> None:
    lines = [*filler(3), line("14/12/2024", "Leeds", "Wolves", "4", "0", "D")]
    result = validate(rows(lines))
    match = result.matches.set_index(c.MATCH_ID).loc["E0-2024-12-14-leeds-wolves"]
    assert match[c.RESULT] == "H"
    assert (match[c.HOME_GOALS], match[c.AWAY_GOALS]) == (4, 0)
    repaired = result.quarantine[result.quarantine["severity"] == REPAIRED]
    assert len(repaired) == 1
    assert (
        repaired.iloc[0]["reason"]
        == "result 'D' contradicts the score 4-0; recomputed from the goals"
    )
    assert repaired.iloc[0][c.SOURCE_LINE] == 5
    assert result.report["repaired"] == 1 and result.report["dropped"] == 0


def test_missing_result_letter_is_filled_from_the_goals_without_a_report() -> None:
    result = validate(rows([line("14/12/2024", "Leeds", "Wolves", "1", "1", "")]))
    assert result.matches[c.RESULT].tolist() == ["D"]
    assert result.quarantine.empty


def test_implausible_statistics_are_nulled_and_reported() -> None:
    lines = [*filler(3), line("14/12/2024", "Leeds", "Wolves", stats="10,8,99,12,-1,2.5")]
    result = validate(rows(lines))
    match = result.matches.set_index(c.MATCH_ID).loc["E0-2024-12-14-leeds-wolves"]
    assert (
        np.isnan(match["home_fouls"])
        and np.isnan(match["home_yellow"])
        and np.isnan(match["away_yellow"])
    )
    assert match["home_shots"] == 10 and match["away_fouls"] == 12  # the plausible ones stay
    repaired = result.quarantine[result.quarantine["severity"] == REPAIRED]
    assert len(repaired) == 1  # one row, its reasons joined
    reason = repaired.iloc[0]["reason"]
    for name in ("home_fouls", "home_yellow", "away_yellow"):
        assert f"{name}: implausible value set to null" in reason
    MATCH_TABLE.validate(result.matches)


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        (line("14/12/2024", "Leeds", "Leeds"), "home and away team are the same"),
        (line("14/12/2024", "Leeds", "Wolves", "1", ""), "only one side of the score"),
        (line("14/12/2023", "Leeds", "Wolves"), "kick-off outside its season"),
        (line("31/02/2025", "Leeds", "Wolves"), c.DATE),
        (line("14/12/2024", "Leeds", "Wolves", "45", "0"), "goals must lie in 0..30"),
        (line("14/12/2024", "Leeds", "", "1", "0"), c.AWAY_ID),
    ],
)
def test_contract_violations_are_quarantined_with_a_reason(bad_line: str, reason: str) -> None:
    result = validate(rows([*filler(5), bad_line]), share=1.0)
    assert len(result.matches) == 5
    dropped = result.quarantine[result.quarantine["severity"] == DROPPED]
    assert len(dropped) == 1
    assert reason in dropped.iloc[0]["reason"]
    assert dropped.iloc[0][c.SOURCE_LINE] == 7
    assert sum(result.report["dropped_by_reason"].values()) >= 1


def test_a_missing_column_fails_the_whole_table() -> None:
    raw = rows(filler(3)).drop(columns=[c.SEASON])
    with pytest.raises(GateError, match=r"whole table.*season"):
        validate(raw)


def test_as_of_turns_later_matches_into_scheduled_with_outcomes_hidden() -> None:
    lines = [
        *filler(3),
        line("01/03/2025", "Leeds", "Wolves", "2", "1", "H"),  # on as_of: finished
        line(
            "02/03/2025", "Spurs", "Fulham", "3", "3", "D"
        ),  # after: result known to the file, hidden
        line("08/03/2025", "Burnley", "Everton", "", "", ""),  # after, not played yet
    ]
    result = validate(rows(lines))
    table = result.matches.set_index(c.MATCH_ID)
    assert table.loc["E0-2025-03-01-leeds-wolves", c.STATUS] == c.FINISHED
    later = table.loc[["E0-2025-03-02-spurs-fulham", "E0-2025-03-08-burnley-everton"]]
    assert later[c.STATUS].eq(c.SCHEDULED).all()
    hidden = [
        c.HOME_GOALS,
        c.AWAY_GOALS,
        c.RESULT,
        *c.STAT_COLUMNS,
        *c.ODDS_CLOSE,
        c.ODDS_CLOSE_SOURCE,
    ]
    assert later[hidden].isna().all(axis=None)
    # what is known before kick-off stays: teams, kick-off, pre-match odds
    assert later[list(c.ODDS_PRE)].notna().all(axis=None)
    assert later[c.ODDS_PRE_SOURCE].eq("pinnacle").all()
    assert later[c.KICKOFF].notna().all()
    assert result.report["scheduled"] == 2 and result.report["finished"] == 4
    MATCH_TABLE.validate(result.matches)


def test_apply_as_of_leaves_the_input_untouched() -> None:
    raw = rows([line("02/03/2025", "Spurs", "Fulham", "3", "3", "D")])
    out = apply_as_of(raw, AS_OF)
    assert out[c.STATUS].tolist() == [c.SCHEDULED]
    assert raw[c.HOME_GOALS].tolist() == [3]


def test_ingest_issues_are_carried_into_the_quarantine() -> None:
    raw = rows(filler(4))
    issues = pd.DataFrame(
        {
            "source_file": ["mmz4281/2425/E0.csv"],
            "source_line": [3],
            "severity": [REPAIRED],
            "reason": ["ragged row: values past the 20 named header columns cannot be aligned"],
            "raw": ["E0,...,9,9"],
        }
    )
    result = validate(raw, issues=issues)
    assert len(result.matches) == 4
    carried = result.quarantine.iloc[0]
    assert carried[c.SOURCE_LINE] == 3
    assert carried["reason"].startswith("ragged row") and carried["reason"].endswith(
        "| raw: E0,...,9,9"
    )
    assert carried[c.MATCH_ID] == raw.loc[raw[c.SOURCE_LINE] == 3, c.MATCH_ID].iloc[0]
    assert result.report["repaired"] == 1


def test_every_quarantine_row_has_file_line_and_reason() -> None:
    lines = [
        *filler(10),
        line("14/12/2024", "Leeds", "Wolves", "", "", ""),
        line("15/12/2024", "Leeds", "Spurs", "4", "0", "A"),
        line("16/12/2024", "Leeds", "Leeds"),
    ]
    result = validate(rows(lines), share=1.0)
    q = result.quarantine
    assert len(q) == 3
    assert q[c.SOURCE_FILE].eq("mmz4281/2425/E0.csv").all()
    assert sorted(q[c.SOURCE_LINE].astype(int)) == [12, 13, 14]
    assert q["reason"].str.len().gt(0).all()
    assert set(q["severity"]) == {DROPPED, REPAIRED}


def test_fixtures_and_unplayed_generic_rows_become_scheduled() -> None:
    fixtures, _ = parse_fixtures_file(
        b"Div,Date,Time,HomeTeam,AwayTeam,B365H,B365D,B365A\n"
        b"E0,08/03/2025,15:00,Arsenal,Chelsea,2.1,3.4,3.5\n",
        "fixtures.csv",
    )
    generic, _ = parse_generic_file(
        b"date,league,season,home_team,away_team,home_goals,away_goals\n"
        b"2024-08-16,MLS,2024,LA Galaxy,Austin FC,2,1\n"
        b"2025-04-01,MLS,2025,Inter Miami,Orlando City,,\n",
        "mls.csv",
    )
    result = validate(pd.concat([rows(filler(3)), fixtures, generic], ignore_index=True))
    status = result.matches.set_index(c.MATCH_ID)[c.STATUS]
    assert status["E0-2025-03-08-arsenal-chelsea"] == c.SCHEDULED
    assert status["MLS-2025-04-01-inter-miami-orlando-city"] == c.SCHEDULED
    assert status["MLS-2024-08-16-la-galaxy-austin-fc"] == c.FINISHED
    assert set(result.matches[c.SOURCE]) == {"football-data", "fixtures", "generic"}
    MATCH_TABLE.validate(result.matches)
