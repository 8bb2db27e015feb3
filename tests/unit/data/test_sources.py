"""Source formats into canonical rows: division files, extra leagues, fixtures, generic CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.data.contracts import MATCH_ID_PATTERN
from matchcast.data.sources.football_data import (
    SOURCE_EXTRA,
    SOURCE_FIXTURES,
    SOURCE_MAIN,
    canonicalize,
    parse_division_file,
    parse_extra_file,
    parse_fixtures_file,
    read_rows,
)
from matchcast.data.sources.generic import GenericFormatError, parse_generic_file

MODERN = (
    b"\xef\xbb\xbfDiv,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,Referee,HS,AS,HST,AST,"
    b"HF,AF,HC,AC,HY,AY,HR,AR,B365H,B365D,B365A,PSH,PSD,PSA,AvgH,AvgD,AvgA,B365CH,B365CD,B365CA,"
    b"PSCH,PSCD,PSCA,AvgCH,AvgCD,AvgCA,,,\r\n"
    b"E0,16/08/2024,20:00,Man United,Fulham,1,0,H,0,0,D,R Jones,14,10,5,2,12,10,7,8,2,3,0,0,"
    b"1.6,4.2,5.25,1.62,4.31,5.6,1.6,4.17,5.34,1.6,4.2,5.5,1.63,4.3,5.4,1.61,4.2,5.3,,,\r\n"
    b"E0,26/12/2024,15:00,Arsenal,Ipswich,1,0,H,1,0,H,C Pawson,24,3,7,1,6,10,9,1,1,3,0,0,"
    b"1.1,11,21,1.12,11.5,23,1.11,11,22,1.1,11,21,,,,1.1,11,21,,,\r\n"
    b",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
)


def division(payload: bytes, league: str = "E0", season: str = "2024-25") -> pd.DataFrame:
    frame, _ = parse_division_file(payload, f"mmz4281/x/{league}.csv", league, season)
    return frame


def test_modern_division_file_maps_every_canonical_column() -> None:
    frame, table = parse_division_file(MODERN, "mmz4281/2425/E0.csv", "E0", "2024-25")
    assert list(frame.columns) == list(c.CANONICAL_COLUMNS)
    assert table.had_bom and table.crlf and table.blank_lines == 1
    first = frame.iloc[0]
    assert first[c.MATCH_ID] == "E0-2024-08-16-man-united-fulham"
    assert first[c.LEAGUE] == "E0"
    assert first[c.SEASON] == "2024-25"
    assert first[c.DATE] == pd.Timestamp("2024-08-16")
    assert first[c.KICKOFF] == pd.Timestamp("2024-08-16 19:00", tz="UTC")  # 20:00 BST
    assert first[c.TIME_KNOWN]
    assert (first[c.HOME_TEAM], first[c.AWAY_TEAM]) == ("Man United", "Fulham")
    assert (first[c.HOME_ID], first[c.AWAY_ID]) == ("man-united", "fulham")
    assert (first[c.HOME_GOALS], first[c.AWAY_GOALS], first[c.RESULT]) == (1, 0, "H")
    assert first["home_shots"] == 14 and first["away_shots_on_target"] == 2
    assert first["home_corners"] == 7 and first["away_yellow"] == 3
    assert (first[c.SOURCE], first[c.SOURCE_FILE], first[c.SOURCE_LINE]) == (
        SOURCE_MAIN,
        "mmz4281/2425/E0.csv",
        2,
    )
    second = frame.iloc[1]
    assert second[c.KICKOFF] == pd.Timestamp("2024-12-26 15:00", tz="UTC")  # GMT


def test_odds_preference_pinnacle_then_market_average_then_bet365() -> None:
    frame = division(MODERN)
    assert frame[c.ODDS_PRE_SOURCE].tolist() == ["pinnacle", "pinnacle"]
    assert frame.loc[0, list(c.ODDS_PRE)].tolist() == [1.62, 4.31, 5.6]
    # closing: Pinnacle where present (row 0), else the market average (row 1)
    assert frame[c.ODDS_CLOSE_SOURCE].tolist() == ["pinnacle", "market_avg"]
    assert frame.loc[0, list(c.ODDS_CLOSE)].tolist() == [1.63, 4.3, 5.4]
    assert frame.loc[1, list(c.ODDS_CLOSE)].tolist() == [1.1, 11.0, 21.0]


def test_old_file_without_time_has_local_midnight_and_unknown_time() -> None:
    payload = (
        b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A\n"
        b"E0,19/08/00,Charlton,Man City,4,0,H,2.2,3.1,3.2\n"
    )
    row = division(payload, season="2000-01").iloc[0]
    assert row[c.DATE] == pd.Timestamp("2000-08-19")
    assert row[c.KICKOFF] == pd.Timestamp("2000-08-18 23:00", tz="UTC")
    assert not row[c.TIME_KNOWN]
    assert row[c.ODDS_PRE_SOURCE] == "bet365"
    assert np.isnan(row["home_shots"])  # the file has no stats: NaN, not zero
    assert pd.isna(row[c.ODDS_CLOSE_SOURCE])


def test_cp1252_names_decode_to_the_right_characters() -> None:
    payload = (
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,Referee\n"
        'D2,11/08/01,Jörg Kickers,1. FC Köln,2,2,D,"Kinhöfer, T"\n'
    ).encode("cp1252")
    frame, table = parse_division_file(payload, "mmz4281/0102/D2.csv", "D2", "2001-02")
    assert table.encoding == "cp1252"
    row = frame.iloc[0]
    assert row[c.HOME_TEAM] == "Jörg Kickers"
    assert row[c.AWAY_TEAM] == "1. FC Köln"
    assert row[c.MATCH_ID] == "D2-2001-08-11-jorg-kickers-1-fc-koln"
    assert row[c.RESULT] == "D"


def test_ht_at_header_variant() -> None:
    payload = b"Div,Date,HT,AT,FTHG,FTAG,FTR\nG1,19/08/00,AEK,PAOK,2,1,H\n"
    row = division(payload, league="G1", season="2000-01").iloc[0]
    assert (row[c.HOME_TEAM], row[c.AWAY_TEAM]) == ("AEK", "PAOK")
    assert row[c.MATCH_ID] == "G1-2000-08-19-aek-paok"


def test_unpadded_spreadsheet_dates() -> None:
    payload = (
        b"Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR\n"
        b"SC2,7/8/2021,15:00,Annan,Cowdenbeath,2,0,H\n"
    )
    row = division(payload, league="SC2", season="2021-22").iloc[0]
    assert row[c.DATE] == pd.Timestamp("2021-08-07")
    assert row[c.KICKOFF] == pd.Timestamp("2021-08-07 14:00", tz="UTC")


def test_ragged_row_keeps_its_score_and_drops_stats_and_odds() -> None:
    payload = (
        b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS,B365H,B365D,B365A\n"
        b"I2,12/10/03,Atalanta,Triestina,4,1,H,12,8,1.6,3.4,5.5,,,3,0\n"
        b"I2,12/10/03,Bari,Ascoli,1,2,A,9,9,1.8,2.7,5\n"
    )
    frame, table = parse_division_file(payload, "mmz4281/0304/I2.csv", "I2", "2003-04")
    ragged, clean = frame.iloc[0], frame.iloc[1]
    assert (ragged[c.HOME_GOALS], ragged[c.AWAY_GOALS], ragged[c.RESULT]) == (4, 1, "H")
    assert np.isnan(ragged["home_shots"]) and np.isnan(ragged[c.ODDS_PRE[0]])
    assert pd.isna(ragged[c.ODDS_PRE_SOURCE])
    assert clean["home_shots"] == 9 and clean[c.ODDS_PRE_SOURCE] == "bet365"
    assert table.issues["source_line"].tolist() == [2]


def test_row_without_a_score_is_read_with_missing_goals() -> None:
    payload = b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\nF2,14/12/2025,Bastia,Red Star,,,\n"
    row = division(payload, league="F2", season="2025-26").iloc[0]
    assert pd.isna(row[c.HOME_GOALS]) and pd.isna(row[c.AWAY_GOALS]) and pd.isna(row[c.RESULT])
    assert row[c.MATCH_ID] == "F2-2025-12-14-bastia-red-star"


def test_lower_case_result_letter_is_upper_cased() -> None:
    payload = b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\nE0,19/08/00,A,B,1,1, d \n"
    assert division(payload).iloc[0][c.RESULT] == "D"


def test_div_column_wins_over_the_folder_and_season_comes_from_the_folder() -> None:
    payload = (
        b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\n"
        b"SC0,19/08/00,Celtic,Rangers,1,0\n"
        b",19/08/00,Hibs,Hearts,0,0\n"
    )
    frame = division(payload, league="X", season="2000-01")
    assert frame[c.LEAGUE].tolist() == ["SC0", "X"]
    assert frame[c.SEASON].tolist() == ["2000-01", "2000-01"]


def test_file_without_dates_or_names_does_not_crash() -> None:
    payload = b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\nE0,,,,1,0\n"
    row = division(payload).iloc[0]
    assert pd.isna(row[c.DATE]) and pd.isna(row[c.HOME_ID]) and pd.isna(row[c.MATCH_ID])


def test_header_only_file_gives_no_rows() -> None:
    frame = division(b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\n")
    assert frame.empty
    assert list(frame.columns) == list(c.CANONICAL_COLUMNS)


def test_many_files_canonicalised_together_keep_their_provenance() -> None:
    a = read_rows(
        b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\nE0,19/08/00,A,B,1,0\n",
        "0001/E0.csv",
        "E0",
        "2000-01",
    )
    b = read_rows(
        b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\nE1,\n,\nE1,20/08/00,C,D,0,0\n",
        "0001/E1.csv",
        "E1",
        "2000-01",
    )
    frame = canonicalize(pd.concat([a.frame, b.frame], ignore_index=True), SOURCE_MAIN)
    # "E1," stops before the goals: dropped while reading, with its line (reliability suite)
    assert frame[c.SOURCE_FILE].tolist() == ["0001/E0.csv", "0001/E1.csv"]
    assert frame[c.SOURCE_LINE].tolist() == [2, 4]
    assert frame[c.MATCH_ID].tolist() == ["E0-2000-08-19-a-b", "E1-2000-08-20-c-d"]
    assert b.issues[["source_line", "severity"]].values.tolist() == [[2, "dropped"]]


EXTRA = (
    b"Country,League,Season,Date,Time,Home,Away,HG,AG,Res,"
    b"PSCH,PSCD,PSCA,MaxCH,MaxCD,MaxCA,AvgCH,AvgCD,AvgCA\r\n"
    b"Argentina,Liga Profesional,2012/2013,03/08/2012,23:10,"
    b"Arsenal Sarandi,Union de Santa Fe,1,0,H,"
    b"1.9,3.4,4.5,2.05,3.6,4.8,1.85,3.3,4.3\r\n"
    b"Argentina,Liga Profesional,2024,26/01/2024,01:00,River Plate,Boca Juniors,2,2,D,"
    b",,,2.1,3.6,4.8,1.95,3.3,4.3\r\n"
)


def test_extra_leagues_format() -> None:
    frame, _ = parse_extra_file(EXTRA, "new/ARG.csv", "ARG")
    assert frame[c.LEAGUE].tolist() == ["ARG", "ARG"]
    assert frame[c.SEASON].tolist() == ["2012-13", "2024"]
    assert frame[c.MATCH_ID].tolist() == [
        "ARG-2012-08-03-arsenal-sarandi-union-de-santa-fe",
        "ARG-2024-01-26-river-plate-boca-juniors",
    ]
    assert frame[c.HOME_GOALS].tolist() == [1, 2]
    assert frame[c.RESULT].tolist() == ["H", "D"]
    assert frame[c.SOURCE].eq(SOURCE_EXTRA).all()
    # closing prices only: Pinnacle where present, else the market average; no pre-match odds
    assert frame[c.ODDS_CLOSE_SOURCE].tolist() == ["pinnacle", "market_avg"]
    assert frame.loc[1, list(c.ODDS_CLOSE)].tolist() == [1.95, 3.3, 4.3]
    assert frame[list(c.ODDS_PRE)].isna().all(axis=None)
    assert frame[c.ODDS_PRE_SOURCE].isna().all()
    assert frame[c.KICKOFF].iloc[0] == pd.Timestamp("2012-08-03 22:10", tz="UTC")
    assert frame[c.TIME_KNOWN].all()


FIXTURES = (
    b"\xef\xbb\xbfDiv,Date,Time,HomeTeam,AwayTeam,Referee,B365H,B365D,B365A,PSH,PSD,PSA\r\n"
    b"E0,07/03/2026,15:00,Arsenal,Chelsea,,2.1,3.4,3.5,2.15,3.45,3.6\r\n"
    b"SP1,08/03/2026,20:00,Barcelona,Sevilla,,1.3,5.5,9,,,\r\n"
)


def test_fixtures_format_has_no_result_and_season_from_the_date() -> None:
    frame, _ = parse_fixtures_file(FIXTURES, "fixtures.csv")
    assert frame[c.LEAGUE].tolist() == ["E0", "SP1"]
    assert frame[c.SEASON].tolist() == ["2025-26", "2025-26"]
    assert frame[[c.HOME_GOALS, c.AWAY_GOALS]].isna().all(axis=None)
    assert frame[c.RESULT].isna().all()
    assert frame[c.SOURCE].eq(SOURCE_FIXTURES).all()
    assert frame[c.ODDS_PRE_SOURCE].tolist() == ["pinnacle", "bet365"]
    assert frame[c.MATCH_ID].str.fullmatch(MATCH_ID_PATTERN).all()


def test_fixture_with_a_bad_date_does_not_spoil_the_season_of_the_others() -> None:
    payload = b"Div,Date,HomeTeam,AwayTeam\nE0,07/03/2026,Arsenal,Chelsea\nE0,TBC,Spurs,Fulham\n"
    frame, _ = parse_fixtures_file(payload, "fixtures.csv")
    assert frame[c.SEASON].iloc[0] == "2025-26"
    assert pd.isna(frame[c.SEASON].iloc[1])


GENERIC = (
    b"date,league,season,home_team,away_team,home_goals,away_goals,time,odds_home,odds_draw,odds_away\n"
    b"2024-08-16,MLS,2024,LA Galaxy,Austin FC,2,1,19:30,1.8,3.9,4.2\n"
    b"2026-05-01,MLS,2026,Inter Miami,Orlando City,,,,,,\n"
)


def test_generic_results_csv() -> None:
    frame, _ = parse_generic_file(GENERIC, "mls.csv")
    assert list(frame.columns) == list(c.CANONICAL_COLUMNS)
    assert frame[c.MATCH_ID].tolist() == [
        "MLS-2024-08-16-la-galaxy-austin-fc",
        "MLS-2026-05-01-inter-miami-orlando-city",
    ]
    assert frame[c.SEASON].tolist() == ["2024", "2026"]
    assert frame[c.KICKOFF].iloc[0] == pd.Timestamp("2024-08-16 19:30", tz="UTC")
    assert frame[c.TIME_KNOWN].tolist() == [True, False]
    assert frame[c.RESULT].iloc[0] == "H"
    # empty goals mean "not yet played"
    assert frame[[c.HOME_GOALS, c.AWAY_GOALS, c.RESULT]].iloc[1].isna().all()
    assert frame[c.ODDS_CLOSE_SOURCE].iloc[0] == "generic"
    assert frame.loc[0, list(c.ODDS_CLOSE)].tolist() == [1.8, 3.9, 4.2]
    assert frame[c.SOURCE_FILE].eq("mls.csv").all()
    assert frame[c.SOURCE_LINE].tolist() == [2, 3]


def test_generic_minimal_columns_and_season_variants() -> None:
    payload = (
        b"date,league,season,home_team,away_team,home_goals,away_goals\n"
        b"2012-08-03,ARG,2012/2013,A,B,0,0\n"
    )
    frame, _ = parse_generic_file(payload, "g.csv")
    row = frame.iloc[0]
    assert row[c.SEASON] == "2012-13"
    assert not row[c.TIME_KNOWN]
    assert row[c.KICKOFF] == pd.Timestamp("2012-08-03", tz="UTC")
    assert pd.isna(row[c.ODDS_CLOSE_SOURCE])


@pytest.mark.parametrize(
    "missing", ["date", "league", "home_team", "away_team", "home_goals", "away_goals"]
)
def test_generic_missing_required_column_is_named(missing: str) -> None:
    names = ["date", "league", "season", "home_team", "away_team", "home_goals", "away_goals"]
    values = ["2024-08-16", "MLS", "2024", "A", "B", "1", "0"]
    keep = [i for i, name in enumerate(names) if name != missing]
    payload = (
        ",".join(names[i] for i in keep) + "\n" + ",".join(values[i] for i in keep) + "\n"
    ).encode()
    with pytest.raises(GenericFormatError, match=missing):
        parse_generic_file(payload, "broken.csv")


def test_generic_header_names_are_case_insensitive() -> None:
    payload = (
        b"Date,League,Season,Home_Team,Away_Team,Home_Goals,Away_Goals\n"
        b"2024-08-16,MLS,2024,A,B,1,1\n"
        b"2024-08-17,MLS,,1860,B,2,1\n"
    )
    frame, _ = parse_generic_file(payload, "g.csv")
    assert frame[c.RESULT].tolist() == ["D", "H"]
    # read as text whatever the case of the header: no "2024.0", and a numeric name stays a name
    assert frame[c.SEASON].iloc[0] == "2024"
    # an empty cell takes the season of its date under the league's (calendar-year) labels
    assert frame[c.SEASON].iloc[1] == "2024"
    assert frame[c.HOME_TEAM].iloc[1] == "1860"


def test_known_spelling_variants_of_a_club_share_one_id() -> None:
    payload = b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\nSP2,03/09/00,U Las Palmas,Eibar,1,0\n"
    row = division(payload, league="SP2", season="2000-01").iloc[0]
    assert row[c.HOME_TEAM] == "U Las Palmas"  # the source's spelling is kept
    assert row[c.HOME_ID] == "las-palmas"
    assert row[c.MATCH_ID] == "SP2-2000-09-03-las-palmas-eibar"
