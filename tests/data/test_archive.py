"""Data contracts over the whole shared football-data.co.uk archive.

Every file is read; each file's rows end up either in the published table or in the
quarantine with a reason; ids are unique and stable; known facts hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.data.contracts import MATCH_ID_PATTERN, MATCH_TABLE
from matchcast.data.ingest import IngestResult, ingest
from matchcast.data.params import DataParams
from matchcast.data.sources.csvtext import DROPPED
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import ValidationResult, validate_matches

MAX_BAD_ROW_SHARE = 0.005  # the gate of params.yaml


@dataclass(frozen=True)
class ArchiveRun:
    """Everything one full run produced, plus the archive's own manifest."""

    archive: Path
    params: DataParams
    ingested: IngestResult
    validated: ValidationResult
    manifest: pd.DataFrame


@pytest.fixture(scope="module")
def archive_run(shared_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> ArchiveRun:
    """Ingest and validate every season of every division in the archive (about 20 s)."""
    params = DataParams(football_data=str(shared_archive), seasons="all", as_of=dt.date(2026, 3, 1))
    ingested = ingest(params, Fetcher(tmp_path_factory.mktemp("cache")))
    validated = validate_matches(ingested.matches, ingested.issues, params.as_of, MAX_BAD_ROW_SHARE)
    manifest = pd.read_csv(shared_archive / "MANIFEST.csv")
    return ArchiveRun(shared_archive, params, ingested, validated, manifest)


def file_text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        return payload.decode("cp1252")


def test_every_file_of_the_manifest_is_read(archive_run: ArchiveRun) -> None:
    report = archive_run.ingested.report
    read = {f["file"] for f in report["files"]}
    assert report["files_read"] == len(archive_run.manifest) == 508
    assert read == set(archive_run.manifest["file"])
    # every other division-season in 1993/94 .. 2025/26 is a real hole of the archive
    assert len(report["files_missing"]) == 17 * 33 - 508
    assert not read & set(report["files_missing"])


def test_rows_read_per_file_equal_the_manifest(archive_run: ArchiveRun) -> None:
    rows = {f["file"]: f["rows"] for f in archive_run.ingested.report["files"]}
    expected = archive_run.manifest.set_index("file")["rows"].to_dict()
    assert rows == expected
    assert len(archive_run.ingested.matches) == archive_run.manifest["rows"].sum()


def test_published_plus_dropped_rows_equal_the_source_per_file(archive_run: ArchiveRun) -> None:
    manifest = archive_run.manifest.set_index("file")["rows"]
    published = archive_run.validated.matches.groupby(c.SOURCE_FILE).size()
    quarantine = archive_run.validated.quarantine
    dropped = quarantine[quarantine["severity"] == DROPPED].groupby(c.SOURCE_FILE).size()
    total = published.reindex(manifest.index, fill_value=0) + dropped.reindex(
        manifest.index, fill_value=0
    )
    mismatched = total[total != manifest]
    assert mismatched.empty, f"rows lost or duplicated in {mismatched.to_dict()}"


def test_row_counts_per_division_and_season_match_the_source(archive_run: ArchiveRun) -> None:
    manifest = archive_run.manifest.assign(
        season=archive_run.manifest["season"].str.replace("/", "-")
    )
    expected = manifest.groupby(["div", "season"])["rows"].sum()
    matches = archive_run.validated.matches
    quarantine = archive_run.validated.quarantine
    dropped = quarantine[quarantine["severity"] == DROPPED].groupby([c.LEAGUE, c.SEASON]).size()
    published = matches.groupby([c.LEAGUE, c.SEASON]).size()
    published.index.names = dropped.index.names = ["div", "season"]
    total = published.add(dropped, fill_value=0).reindex(expected.index, fill_value=0)
    assert (total == expected).all()
    report = archive_run.validated.report["matches_per_league_season"]
    assert sum(sum(seasons.values()) for seasons in report.values()) == len(matches)


def test_the_quarantine_explains_each_row(archive_run: ArchiveRun) -> None:
    quarantine = archive_run.validated.quarantine
    assert not quarantine.empty  # the archive has real faults (e.g. rows without a score)
    assert quarantine["reason"].astype(str).str.strip().str.len().gt(0).all()
    assert quarantine[c.SOURCE_FILE].astype(str).str.startswith("mmz4281/").all()
    assert quarantine[c.SOURCE_LINE].astype(int).ge(2).all()  # line 1 is the header
    # each (file, line) points at the very row: it names the home team
    for row in quarantine.itertuples():
        lines = file_text((archive_run.archive / row.source_file).read_bytes()).splitlines()
        assert row.home_team in lines[row.source_line - 1], (row.source_file, row.source_line)


def test_a_past_match_without_score_is_dropped_with_its_reason(archive_run: ArchiveRun) -> None:
    quarantine = archive_run.validated.quarantine
    dropped = quarantine[quarantine["severity"] == DROPPED]
    assert dropped["reason"].str.contains("no final score").any()
    assert set(dropped[c.MATCH_ID]).isdisjoint(archive_run.validated.matches[c.MATCH_ID])


def test_the_published_table_meets_its_contract(archive_run: ArchiveRun) -> None:
    matches = archive_run.validated.matches
    MATCH_TABLE.validate(matches, lazy=True)
    assert list(matches.columns) == list(c.CANONICAL_COLUMNS)
    assert matches[c.MATCH_ID].is_unique
    assert matches[c.MATCH_ID].str.fullmatch(MATCH_ID_PATTERN).all()
    assert matches[c.HOME_ID].str.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*").all()
    assert set(matches[c.LEAGUE]) == set(archive_run.params.leagues)
    assert matches[c.KICKOFF].is_monotonic_increasing


def test_match_ids_are_stable_across_runs(
    archive_run: ArchiveRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # a second ingest of a slice with every quirk: cp1252 (0102/D1), unpadded dates (2122/SC2)
    params = DataParams(
        football_data=str(archive_run.archive),
        leagues=["D1", "SC2"],
        seasons=["2001-02", "2021-22"],
        as_of=dt.date(2026, 3, 1),
    )
    again = ingest(params, Fetcher(tmp_path_factory.mktemp("cache")))
    full = archive_run.ingested.matches
    files = set(again.matches[c.SOURCE_FILE])
    assert files == {
        "mmz4281/0102/D1.csv",
        "mmz4281/0102/SC2.csv",
        "mmz4281/2122/D1.csv",
        "mmz4281/2122/SC2.csv",
    }
    before = full[full[c.SOURCE_FILE].isin(files)].set_index([c.SOURCE_FILE, c.SOURCE_LINE])[
        c.MATCH_ID
    ]
    after = again.matches.set_index([c.SOURCE_FILE, c.SOURCE_LINE])[c.MATCH_ID]
    pd.testing.assert_series_equal(before.sort_index(), after.sort_index())


def test_known_facts(archive_run: ArchiveRun) -> None:
    table = archive_run.validated.matches.set_index(c.MATCH_ID)
    opener = table.loc["E0-2024-08-16-man-united-fulham"]
    assert (opener[c.HOME_TEAM], opener[c.AWAY_TEAM]) == ("Man United", "Fulham")
    assert (opener[c.HOME_GOALS], opener[c.AWAY_GOALS], opener[c.RESULT]) == (1, 0, "H")
    assert opener[c.KICKOFF] == pd.Timestamp("2024-08-16 19:00", tz="UTC")  # 20:00 BST
    assert opener[c.SEASON] == "2024-25" and opener[c.STATUS] == c.FINISHED
    assert opener[c.ODDS_CLOSE_SOURCE] == "pinnacle"
    # E0 2025/26 ends on 24 May 2026, after as_of: scheduled, its result hidden
    e0 = table[(table[c.LEAGUE] == "E0") & (table[c.SEASON] == "2025-26")]
    assert e0[c.DATE].max() == pd.Timestamp("2026-05-24")
    last_day = e0[e0[c.DATE] == pd.Timestamp("2026-05-24")]
    assert len(last_day) == 10
    assert last_day[c.STATUS].eq(c.SCHEDULED).all() and last_day[c.HOME_GOALS].isna().all()
    # the oldest season: no kick-off times, no odds
    first = table[table[c.SEASON] == "1993-94"]
    assert len(first) > 0 and not first[c.TIME_KNOWN].any()
    assert first[[*c.ODDS_PRE, *c.ODDS_CLOSE]].isna().all(axis=None)


def test_spreadsheet_dates_of_2122_sc2_land_in_their_season(archive_run: ArchiveRun) -> None:
    matches = archive_run.validated.matches
    sc2 = matches[matches[c.SOURCE_FILE] == "mmz4281/2122/SC2.csv"]
    assert len(sc2) == 45
    assert sc2[c.DATE].between("2021-07-01", "2022-06-30").all()


def test_scheduled_matches_are_exactly_those_after_as_of(archive_run: ArchiveRun) -> None:
    raw = archive_run.ingested.matches
    matches = archive_run.validated.matches
    cutoff = pd.Timestamp(archive_run.params.as_of)
    scheduled = matches[matches[c.STATUS] == c.SCHEDULED]
    assert len(scheduled) == int((raw[c.DATE] > cutoff).sum())
    assert (scheduled[c.DATE] > cutoff).all()
    hidden = [
        c.HOME_GOALS,
        c.AWAY_GOALS,
        c.RESULT,
        *c.STAT_COLUMNS,
        *c.ODDS_CLOSE,
        c.ODDS_CLOSE_SOURCE,
    ]
    assert scheduled[hidden].isna().all(axis=None)
    assert matches.loc[matches[c.DATE] <= cutoff, c.STATUS].eq(c.FINISHED).all()
    assert archive_run.validated.report["scheduled"] == len(scheduled)


def test_file_facts_match_the_bytes(archive_run: ArchiveRun) -> None:
    """BOM, CRLF and encoding as reported equal what the files' bytes say."""
    for entry in archive_run.ingested.report["files"]:
        payload = (archive_run.archive / entry["file"]).read_bytes()
        assert entry["bom"] == payload.startswith(b"\xef\xbb\xbf"), entry["file"]
        assert entry["crlf"] == (b"\r\n" in payload), entry["file"]
        try:
            payload.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
        assert entry["encoding"] == ("utf-8" if utf8 else "cp1252"), entry["file"]
    files = pd.DataFrame(archive_run.ingested.report["files"])
    assert (files["encoding"] == "cp1252").sum() == 16  # as the archive's README says


def test_market_odds_coverage_by_era(archive_run: ArchiveRun) -> None:
    matches = archive_run.validated.matches
    start = matches[c.SEASON].str[:4].astype(int)
    finished = matches[c.STATUS] == c.FINISHED
    assert matches.loc[start < 2000, c.ODDS_PRE_SOURCE].isna().all()
    recent = matches[finished & (start >= 2019)]
    assert recent[c.ODDS_CLOSE_SOURCE].notna().mean() > 0.99
    assert set(recent[c.ODDS_CLOSE_SOURCE].dropna()) <= {"pinnacle", "market_avg", "bet365"}
    assert matches.loc[start >= 2019, c.TIME_KNOWN].all()
