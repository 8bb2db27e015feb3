"""Planning and reading every configured source from a small local archive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from matchcast.data import columns as c
from matchcast.data.ingest import EmptySourceError, ingest, plan_sources
from matchcast.data.params import DataParams, SeasonRange
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.sources.generic import GenericFormatError

E0_2324 = (
    b"\xef\xbb\xbfDiv,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS\r\n"
    b"E0,11/08/2023,20:00,Burnley,Man City,0,3,A,6,17\r\n"
    b"E0,12/08/2023,12:30,Arsenal,Nott'm Forest,2,1,H,15,6\r\n"
    b",,,,,,,,,\r\n"
)
E0_2425 = (
    b"Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS,PSH,PSD,PSA,,\n"
    b"E0,16/08/2024,20:00,Man United,Fulham,1,0,H,14,10,1.6,4.3,5.6,,\n"
    b"E0,17/08/2024,12:30,Ipswich,Liverpool,0,2,A,7,18,6.0,4.5,1.5,,,9\n"
    b"E0,08/03/2025,15:00,Arsenal,Chelsea,1,1,D,9,9,2.1,3.4,3.6,,\n"
)
D1_2425 = (
    "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR\nD1,23/08/2024,19:30,FC Köln,Leverkusen,2,3,A\n"
).encode("cp1252")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    for relative, payload in {
        "mmz4281/2324/E0.csv": E0_2324,
        "mmz4281/2425/E0.csv": E0_2425,
        "mmz4281/2425/D1.csv": D1_2425,
    }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    return root


def params(archive: Path, **kwargs: object) -> DataParams:
    base: dict[str, object] = {
        "football_data": str(archive),
        "leagues": ["E0", "D1"],
        "seasons": SeasonRange(first="2023-24", last="2024-25"),
        "as_of": dt.date(2025, 3, 1),
    }
    return DataParams.model_validate({**base, **kwargs})


def test_plan_lists_every_league_and_season_oldest_first(archive: Path) -> None:
    plan = plan_sources(params(archive))
    assert [s.relative for s in plan] == [
        "mmz4281/2324/E0.csv",
        "mmz4281/2324/D1.csv",
        "mmz4281/2425/E0.csv",
        "mmz4281/2425/D1.csv",
    ]
    assert [s.mutable for s in plan] == [
        False,
        False,
        True,
        True,
    ]  # only the current season changes
    assert not any(s.required for s in plan)
    assert plan[0].location == str(archive / "mmz4281/2324/E0.csv")


def test_plan_for_a_url_base_and_the_optional_sources(archive: Path) -> None:
    plan = plan_sources(
        params(
            archive,
            football_data="https://www.football-data.co.uk/",
            leagues=["E0"],
            seasons=["2024-25"],
            extra_leagues=["ARG"],
            fixtures=True,
            generic=["/data/mls.csv"],
        )
    )
    assert [(s.kind, s.location, s.required) for s in plan] == [
        ("division", "https://www.football-data.co.uk/mmz4281/2425/E0.csv", False),
        ("extra", "https://www.football-data.co.uk/new/ARG.csv", True),
        ("fixtures", "https://www.football-data.co.uk/fixtures.csv", False),
        ("generic", "/data/mls.csv", True),
    ]


def test_ingest_reads_every_file_and_records_missing_seasons(archive: Path, tmp_path: Path) -> None:
    result = ingest(params(archive), Fetcher(tmp_path / "cache"))
    report = result.report
    assert report["files_read"] == 3
    assert report["files_missing"] == ["mmz4281/2324/D1.csv"]
    assert report["rows"] == len(result.matches) == 6
    assert report["fetch"]["local"] == 3 and report["fetch"]["missing"] == 1
    files = {f["file"]: f for f in report["files"]}
    assert files["mmz4281/2324/E0.csv"]["bom"] and files["mmz4281/2324/E0.csv"]["crlf"]
    assert files["mmz4281/2324/E0.csv"]["blank_lines"] == 1
    assert files["mmz4281/2425/D1.csv"]["encoding"] == "cp1252"
    assert "FC Köln" in set(result.matches[c.HOME_TEAM])
    assert files["mmz4281/2425/E0.csv"]["repaired_rows"] == 1
    assert list(result.matches.columns) == list(c.CANONICAL_COLUMNS)
    assert set(result.matches[c.MATCH_ID]) == {
        "E0-2023-08-11-burnley-man-city",
        "E0-2023-08-12-arsenal-nott-m-forest",
        "E0-2024-08-16-man-united-fulham",
        "E0-2024-08-17-ipswich-liverpool",
        "E0-2025-03-08-arsenal-chelsea",
        "D1-2024-08-23-fc-koln-leverkusen",
    }
    # the ragged row (line 3 of 2425/E0) is listed for the quarantine
    assert result.issues[["source_file", "source_line"]].values.tolist() == [
        ["mmz4281/2425/E0.csv", 3]
    ]


def test_ingest_is_deterministic(archive: Path, tmp_path: Path) -> None:
    first = ingest(params(archive), Fetcher(tmp_path / "a")).matches
    second = ingest(params(archive), Fetcher(tmp_path / "b")).matches
    assert first[c.MATCH_ID].tolist() == second[c.MATCH_ID].tolist()
    assert first.equals(second)


def test_file_url_base(archive: Path, tmp_path: Path) -> None:
    result = ingest(params(archive, football_data=f"file://{archive}"), Fetcher(tmp_path / "cache"))
    assert len(result.matches) == 6


def test_nothing_to_read_raises(archive: Path, tmp_path: Path) -> None:
    with pytest.raises(EmptySourceError, match="no rows read"):
        ingest(params(archive, leagues=["SP2"]), Fetcher(tmp_path / "cache"))


def test_an_empty_season_selection_raises_a_clear_error(archive: Path, tmp_path: Path) -> None:
    with pytest.raises(EmptySourceError, match=r"seasons \(none\)"):
        ingest(params(archive, seasons=[]), Fetcher(tmp_path / "cache"))


def test_missing_required_source_raises(archive: Path, tmp_path: Path) -> None:
    with pytest.raises(EmptySourceError, match="ARG"):
        ingest(params(archive, extra_leagues=["ARG"]), Fetcher(tmp_path / "cache"))


def test_empty_required_source_raises(archive: Path, tmp_path: Path) -> None:
    generic = tmp_path / "empty.csv"
    generic.write_text("date,league,season,home_team,away_team,home_goals,away_goals\n")
    with pytest.raises(EmptySourceError, match="holds no rows"):
        ingest(params(archive, generic=[str(generic)]), Fetcher(tmp_path / "cache"))


def test_generic_file_without_a_required_column_raises(archive: Path, tmp_path: Path) -> None:
    generic = tmp_path / "bad.csv"
    generic.write_text(
        "date,league,season,home_team,away_team,home_goals\n2024-08-16,MLS,2024,A,B,1\n"
    )
    with pytest.raises(GenericFormatError, match="away_goals"):
        ingest(params(archive, generic=[str(generic)]), Fetcher(tmp_path / "cache"))


def test_extra_fixtures_and_generic_sources_join_the_table(archive: Path, tmp_path: Path) -> None:
    (archive / "new").mkdir()
    (archive / "new" / "ARG.csv").write_bytes(
        b"Country,League,Season,Date,Time,Home,Away,HG,AG,Res,AvgCH,AvgCD,AvgCA\n"
        b"Argentina,Liga Profesional,2024,26/01/2024,01:00,River Plate,Boca Juniors,2,2,D,"
        b"1.9,3.3,4.3\n"
    )
    # fixtures: one match already in the results file (superseded), one new
    (archive / "fixtures.csv").write_bytes(
        b"Div,Date,Time,HomeTeam,AwayTeam,B365H,B365D,B365A\n"
        b"E0,08/03/2025,15:00,Arsenal,Chelsea,2.1,3.4,3.5\n"
        b"E0,15/03/2025,15:00,Chelsea,Arsenal,2.6,3.4,2.7\n"
    )
    generic = tmp_path / "mls.csv"
    generic.write_bytes(
        b"date,league,season,home_team,away_team,home_goals,away_goals\n"
        b"2024-08-16,MLS,2024,LA Galaxy,Austin FC,2,1\n"
    )
    result = ingest(
        params(archive, extra_leagues=["ARG"], fixtures=True, generic=[str(generic)]),
        Fetcher(tmp_path / "c"),
    )
    by_source = result.matches.groupby(c.SOURCE)[c.MATCH_ID].apply(set).to_dict()
    assert by_source["football-data-extra"] == {"ARG-2024-01-26-river-plate-boca-juniors"}
    assert by_source["fixtures"] == {"E0-2025-03-15-chelsea-arsenal"}
    assert by_source["generic"] == {"MLS-2024-08-16-la-galaxy-austin-fc"}
    assert result.matches[c.MATCH_ID].is_unique
    assert result.report["files_read"] == 6
