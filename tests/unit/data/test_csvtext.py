"""The raw CSV reader survives every quirk of the real football-data.co.uk files.

Each test feeds a small inline sample shaped like the quirk as it occurs in the archive
(see ``shared/data/football-data/README.md``).
"""

from __future__ import annotations

import pandas as pd
import pytest

from matchcast.data.sources.csvtext import (
    ISSUE_COLUMNS,
    LINE,
    RAGGED,
    REPAIRED,
    decode,
    read_text_table,
)

TEXT = ("Div", "Date", "Time", "HomeTeam", "AwayTeam", "FTR", "Referee")


def read(payload: bytes, **kwargs: object) -> pd.DataFrame:
    return read_text_table(payload, "sample.csv", text_columns=TEXT, **kwargs).frame  # type: ignore[arg-type]


def test_decode_plain_utf8() -> None:
    assert decode("Köln".encode()) == ("Köln", "utf-8", False)


def test_decode_strips_utf8_bom() -> None:
    text, encoding, bom = decode(b"\xef\xbb\xbfDiv,Date\n")
    assert (text, encoding, bom) == ("Div,Date\n", "utf-8", True)


def test_decode_falls_back_to_cp1252_with_the_right_characters() -> None:
    payload = "Jörg,Mönchengladbach,Kinhöfer".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        payload.decode("utf-8")
    text, encoding, bom = decode(payload)
    assert text == "Jörg,Mönchengladbach,Kinhöfer"
    assert encoding == "cp1252"
    assert not bom


def test_bom_before_cp1252_text_is_stripped_too() -> None:
    text, encoding, bom = decode(b"\xef\xbb\xbfDiv,HomeTeam\nD1," + "Köln".encode("cp1252"))
    assert (text, encoding, bom) == ("Div,HomeTeam\nD1,Köln", "cp1252", True)


def test_bom_does_not_leak_into_the_first_header_name() -> None:
    table = read_text_table(b"\xef\xbb\xbfDiv,HomeTeam\nE0,Arsenal\n", "f.csv", text_columns=TEXT)
    assert table.header == ["Div", "HomeTeam"]
    assert table.had_bom
    assert table.frame["Div"].tolist() == ["E0"]


def test_cp1252_file_with_umlauts_and_quoted_referee() -> None:
    payload = (
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,Referee\n"
        'D1,11/08/01,1. FC Köln,Jörg SV,1,0,"Kinhöfer, T"\n'
    ).encode("cp1252")
    table = read_text_table(payload, "0102/D1.csv", text_columns=TEXT)
    assert table.encoding == "cp1252"
    row = table.frame.iloc[0]
    assert row["HomeTeam"] == "1. FC Köln"
    assert row["AwayTeam"] == "Jörg SV"
    assert row["Referee"] == "Kinhöfer, T"  # the comma inside quotes does not split the field
    assert row["FTHG"] == 1 and row["FTAG"] == 0
    assert not row[RAGGED]  # a quoted comma is not an extra field
    assert table.issues.empty


def test_crlf_line_endings_are_detected_and_stripped() -> None:
    table = read_text_table(
        b"Div,HomeTeam\r\nE0,Arsenal\r\nE0,Chelsea\r\n", "f.csv", text_columns=TEXT
    )
    assert table.crlf
    assert table.frame["HomeTeam"].tolist() == ["Arsenal", "Chelsea"]
    assert table.frame[LINE].tolist() == [2, 3]


def test_blank_and_comma_only_lines_are_skipped_and_counted() -> None:
    payload = b"Div,HomeTeam,FTHG\nE0,Arsenal,1\n\n,,\n ,, \nE0,Chelsea,2\n,,,\n"
    table = read_text_table(payload, "f.csv", text_columns=TEXT)
    assert table.frame["HomeTeam"].tolist() == ["Arsenal", "Chelsea"]
    assert table.blank_lines == 4
    # line numbers still point at the file's own lines
    assert table.frame[LINE].tolist() == [2, 6]
    assert table.issues.empty


def test_leading_blank_lines_before_the_header() -> None:
    table = read_text_table(b"\n,,,\nDiv,HomeTeam\nE0,Arsenal\n", "f.csv", text_columns=TEXT)
    assert table.header == ["Div", "HomeTeam"]
    assert table.frame[LINE].tolist() == [4]


def test_empty_trailing_header_names_are_ignored() -> None:
    payload = b"Div,HomeTeam,FTHG,,,,\nE0,Arsenal,1,,,,\nE0,Chelsea,2,,,,\n"
    table = read_text_table(payload, "f.csv", text_columns=TEXT)
    assert list(table.frame.columns) == ["Div", "HomeTeam", "FTHG", LINE, RAGGED]
    assert not table.frame[RAGGED].any()
    assert table.issues.empty


def test_row_with_fewer_fields_than_the_header_is_padded_with_nulls() -> None:
    payload = b"Div,HomeTeam,AwayTeam,FTHG,FTAG,HS\nE0,Arsenal,Chelsea,1,0\n"
    frame = read(payload)
    assert frame["FTHG"].tolist() == [1]
    assert frame["HS"].isna().all()
    assert not frame[RAGGED].any()


def test_row_with_more_fields_than_the_header_is_flagged_ragged_and_reported() -> None:
    payload = b"Div,HomeTeam,AwayTeam,FTHG,FTAG\nE0,Arsenal,Chelsea,1,0\nE0,Spurs,Fulham,2,2,9,9\n"
    table = read_text_table(payload, "0001/E0.csv", text_columns=TEXT)
    assert table.frame[RAGGED].tolist() == [False, True]
    assert table.frame["FTHG"].tolist() == [1, 2]  # the aligned part is kept
    assert list(table.issues.columns) == ISSUE_COLUMNS
    issue = table.issues.iloc[0]
    assert issue["source_file"] == "0001/E0.csv"
    assert issue["source_line"] == 3
    assert issue["severity"] == REPAIRED
    assert "ragged" in issue["reason"]
    assert issue["raw"] == "E0,Spurs,Fulham,2,2,9,9"


def test_trailing_empty_fields_past_the_header_are_not_ragged() -> None:
    frame = read(b"Div,HomeTeam,FTHG\nE0,Arsenal,1,,,\n")
    assert not frame[RAGGED].any()


def test_header_names_are_stripped_and_aliased() -> None:
    payload = b"Div, HT ,AT,FTHG\nG1,AEK,PAOK,2\n"
    table = read_text_table(payload, "f.csv", aliases={"HT": "HomeTeam", "AT": "AwayTeam"})
    assert table.frame["HomeTeam"].tolist() == ["AEK"]
    assert table.frame["AwayTeam"].tolist() == ["PAOK"]


def test_duplicate_header_names_keep_the_first_column() -> None:
    frame = read(b"Div,HomeTeam,FTHG,FTHG\nE0,Arsenal,1,7\n")
    assert frame["FTHG"].tolist() == [1]


def test_keep_selects_columns() -> None:
    frame = read(b"Div,HomeTeam,FTHG,Referee\nE0,Arsenal,1,M Dean\n", keep={"HomeTeam", "FTHG"})
    assert list(frame.columns) == ["HomeTeam", "FTHG", LINE, RAGGED]


def test_text_columns_stay_text_and_numbers_are_parsed() -> None:
    frame = read(b"Div,Date,Time,HomeTeam,FTHG,B365H\nE0,16/08/2024,20:00,1860,1,2.5\n")
    assert frame["Date"].tolist() == ["16/08/2024"]
    assert frame["Time"].tolist() == ["20:00"]
    assert frame["HomeTeam"].tolist() == ["1860"]  # a numeric-looking team name stays text
    assert frame["B365H"].tolist() == [2.5]


def test_missing_value_markers_become_null() -> None:
    frame = read(b"Div,HomeTeam,FTHG,HS,HC,HF\nE0,Arsenal,1,,-,NA\n")
    assert frame[["HS", "HC", "HF"]].isna().all(axis=None)


def test_empty_file_and_blank_only_file() -> None:
    for payload in (b"", b"\n\n,,,\n"):
        table = read_text_table(payload, "f.csv")
        assert table.frame.empty
        assert table.header == []


def test_header_only_file_has_columns_but_no_rows() -> None:
    table = read_text_table(b"Div,HomeTeam,FTHG\n\n", "f.csv")
    assert table.frame.empty
    assert "HomeTeam" in table.frame.columns
    assert table.blank_lines == 1


def test_unbalanced_quote_does_not_swallow_the_following_lines() -> None:
    payload = (
        b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,Referee\n"
        b'E0,01/01/20,A,B,1,0,H,"Smith\n'
        b"E0,02/01/20,C,D,0,0,D,Jones\n"
    )
    frame = read(payload)
    assert frame["HomeTeam"].tolist() == ["A", "C"]
    assert frame[LINE].tolist() == [2, 3]
    assert frame["FTR"].tolist() == ["H", "D"]
