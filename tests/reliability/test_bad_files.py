"""Ingest never crashes on a bad file and never turns a broken row into a match (issue 13, item 4).

Each test copies a real file of the shared archive under ``tmp_path``, damages it the way
the probe did, and reads it through the real ingest (local-folder source), then validates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.data.ingest import ingest
from matchcast.data.params import DataParams, SeasonRange
from matchcast.data.sources.csvtext import DROPPED
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import GateError, validate_matches

pytestmark = pytest.mark.reliability

E0_2526 = "mmz4281/2526/E0.csv"
AS_OF = dt.date(2026, 3, 1)


def copy_archive(shared_archive: Path, tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    for relative in ("mmz4281/2425/E0.csv", E0_2526):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((shared_archive / relative).read_bytes())
    return root


def read(root: Path, tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    params = DataParams.model_validate(
        {
            "football_data": str(root),
            "leagues": ["E0"],
            "seasons": SeasonRange(first="2024-25", last="2025-26"),
            "as_of": AS_OF,
        }
    )
    result = ingest(params, Fetcher(tmp_path / "cache"))
    return result.matches, result.issues


def lines_of(root: Path) -> list[bytes]:
    return (root / E0_2526).read_bytes().split(b"\n")


def test_a_quoted_field_spanning_lines_is_quarantined_and_the_rest_kept(
    shared_archive: Path, tmp_path: Path
) -> None:
    root = copy_archive(shared_archive, tmp_path)
    lines = lines_of(root)
    # the referee of data rows 10 and 200 (file lines 11 and 201) broken over two lines
    for at in (200, 10):
        lines[at] = (
            lines[at]
            .replace(b",C Kavanagh,", b',"C\nKavanagh",', 1)
            .replace(b",M Oliver,", b',"M\nOliver",', 1)
        )
        assert b'"' in lines[at]
    (root / E0_2526).write_bytes(b"\n".join(lines))

    matches, issues = read(root, tmp_path)  # crashed: Length of values does not match

    in_file = matches[matches[c.SOURCE_FILE] == E0_2526]
    assert len(in_file) == 378  # 380 matches, the two broken records dropped
    dropped = issues[(issues["source_file"] == E0_2526) & (issues["severity"] == DROPPED)]
    assert sorted(dropped["source_line"]) == [11, 202]  # one row per record, at its first line
    assert dropped["reason"].str.contains("a quoted field spans lines 11-12").sum() == 1
    assert dropped["reason"].str.contains("a quoted field spans lines 202-203").sum() == 1
    # every kept row is still aligned with its line: its date and teams are the file's
    by_line = {i + 1: text for i, text in enumerate((root / E0_2526).read_text().splitlines())}
    sample = in_file.sample(20, random_state=1)
    for line, home, away in zip(
        sample[c.SOURCE_LINE].tolist(), sample[c.HOME_TEAM], sample[c.AWAY_TEAM], strict=True
    ):
        assert f",{home},{away}," in by_line[line]
    validated = validate_matches(matches, issues, AS_OF, 0.01)
    assert validated.report["dropped"] == 2
    assert validated.report["files_with_quarantined_rows"][E0_2526] == {"rows": 380, "dropped": 2}


def test_a_file_cut_mid_row_loses_the_cut_row_not_a_match_and_fails_the_shrink_gate(
    shared_archive: Path, tmp_path: Path
) -> None:
    root = copy_archive(shared_archive, tmp_path)
    before, before_issues = read(root, tmp_path)
    full = validate_matches(before, before_issues, AS_OF, 0.005)
    assert full.report["rows_per_file"][E0_2526] == 380

    lines = lines_of(root)
    cut = (
        b"\n".join(lines[:302]) + b"\n" + lines[302][:80]
    )  # header, 301 rows, a row cut in its stats
    (root / E0_2526).write_bytes(cut)
    matches, issues = read(root, tmp_path)

    in_file = matches[matches[c.SOURCE_FILE] == E0_2526]
    assert len(in_file) == 301
    assert 303 not in set(in_file[c.SOURCE_LINE])  # the cut row is no (scheduled) match
    cut_issue = issues[(issues["source_file"] == E0_2526) & (issues["source_line"] == 303)]
    assert cut_issue["severity"].tolist() == [DROPPED]
    assert "the file ends inside this row" in cut_issue["reason"].iloc[0]
    assert cut_issue["raw"].iloc[0] == lines[302][:80].decode()

    with pytest.raises(GateError) as error:
        validate_matches(matches, issues, AS_OF, 0.01, previous_rows=full.report["rows_per_file"])
    message = str(error.value)
    assert f"{E0_2526} 380 -> 302 rows (-78)" in message
    assert "validate.accept_shrink" in message
    assert error.value.rows_per_file[E0_2526] == 302

    accepted = validate_matches(
        matches, issues, AS_OF, 0.01, previous_rows=full.report["rows_per_file"], accept_shrink=True
    )
    assert accepted.report["accepted_shrink"] == [f"{E0_2526} 380 -> 302 rows (-78)"]
    assert len(accepted.matches[accepted.matches[c.SOURCE_FILE] == E0_2526]) == 301


def test_a_file_cut_before_the_goals_of_a_past_row_keeps_no_scheduled_ghost(
    shared_archive: Path, tmp_path: Path
) -> None:
    root = copy_archive(shared_archive, tmp_path)
    lines = lines_of(root)
    # a row after as_of (2026-03-01) cut inside the away team: it must not become scheduled
    last = next(i for i in range(len(lines) - 1, 0, -1) if b"/04/2026" in lines[i])
    (root / E0_2526).write_bytes(b"\n".join(lines[: last + 1]) + b"\n" + lines[last + 1][:30])
    matches, issues = read(root, tmp_path)
    validated = validate_matches(matches, issues, AS_OF, 0.01)
    scheduled = validated.matches[validated.matches[c.STATUS] == c.SCHEDULED]
    assert last + 2 not in set(scheduled[c.SOURCE_LINE])
    cut = issues[issues["source_line"] == last + 2]
    assert cut["severity"].tolist() == [DROPPED]
    assert "a cut or short row, not a match without a result" in cut["reason"].iloc[0]


def test_goals_written_as_words_are_quarantined_with_the_raw_values_and_a_precise_reason(
    shared_archive: Path, tmp_path: Path
) -> None:
    root = copy_archive(shared_archive, tmp_path)
    lines = lines_of(root)
    original = lines[5]
    assert original.startswith(b"E0,16/08/2025,15:00,Tottenham,Burnley,3,0,H,")
    lines[5] = original.replace(b",Tottenham,Burnley,3,0,H,", b",Tottenham,Burnley,three,nil,H,")
    (root / E0_2526).write_bytes(b"\n".join(lines))

    matches, issues = read(root, tmp_path)
    validated = validate_matches(matches, issues, AS_OF, 0.005)

    row = validated.quarantine[
        (validated.quarantine[c.SOURCE_FILE] == E0_2526)
        & (validated.quarantine[c.SOURCE_LINE] == 6)
    ]
    assert row["severity"].tolist() == [DROPPED]
    reason = row["reason"].iloc[0]
    assert "FTHG 'three' is not a number" in reason and "FTAG 'nil' is not a number" in reason
    assert "no final score" not in reason
    assert lines[5].decode() in reason  # the raw values are kept
    assert "E0-2025-08-16-tottenham-burnley" not in set(validated.matches[c.MATCH_ID])
    assert validated.report["dropped_by_reason"]  # counted like any dropped row
