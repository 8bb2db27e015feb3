"""The ``ingest`` and ``validate`` stages end to end through the command line.

A temporary params.yaml selects two divisions and two seasons of the shared archive; the
commands run exactly as dvc.yaml calls them, each output is read back from disk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from matchcast.cli import COMMANDS, app, main
from matchcast.config import get_settings
from matchcast.data import columns as c
from matchcast.data.contracts import MATCH_TABLE
from matchcast.data.sources.csvtext import ISSUE_COLUMNS
from matchcast.data.validation import QUARANTINE_COLUMNS

pytestmark = pytest.mark.e2e

# F2 2025/26 holds a past match without a score: one dropped row (1/380, under the 0.5 % gate).
PARAMS = """\
data:
  football_data: {archive}
  leagues: [E0, F2]
  seasons: {{first: 2024-25, last: 2025-26}}
  as_of: "2026-03-01"
validate:
  max_bad_row_share: {share}
"""


@pytest.fixture
def settings_env(shared_archive: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the infrastructure settings at the archive, whatever the calling shell exported."""
    monkeypatch.setenv("MATCHCAST_FOOTBALL_DATA", str(shared_archive))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def write_params(folder: Path, archive: Path, share: float = 0.005) -> Path:
    path = folder / "params.yaml"
    path.write_text(PARAMS.format(archive=archive, share=share))
    return path


def run_ingest(runner: CliRunner, params: Path, work: Path) -> None:
    result = runner.invoke(
        app,
        [
            "ingest",
            f"--params={params}",
            f"--cache={work / 'data/raw'}",
            f"--out={work / 'data/interim/raw_matches.parquet'}",
            f"--quarantine={work / 'data/quarantine/ingest.csv'}",
            f"--report={work / 'reports/ingest.json'}",
            f"--as-of-out={work / 'data/interim/as_of.json'}",
        ],
    )
    assert result.exit_code == 0, result.output


def validate_args(params: Path, work: Path) -> list[str]:
    return [
        "validate",
        f"--params={params}",
        f"--raw={work / 'data/interim/raw_matches.parquet'}",
        f"--ingest-quarantine={work / 'data/quarantine/ingest.csv'}",
        f"--out={work / 'data/interim/matches.parquet'}",
        f"--quarantine={work / 'data/quarantine/validation.csv'}",
        f"--report={work / 'reports/validation.json'}",
        f"--as-of={work / 'data/interim/as_of.json'}",
    ]


def test_ingest_then_validate(shared_archive: Path, tmp_path: Path, settings_env: None) -> None:
    runner = CliRunner()
    params = write_params(tmp_path, shared_archive)
    run_ingest(runner, params, tmp_path)

    raw = pd.read_parquet(tmp_path / "data/interim/raw_matches.parquet")
    ingest_report = json.loads((tmp_path / "reports/ingest.json").read_text())
    ingest_issues = pd.read_csv(tmp_path / "data/quarantine/ingest.csv")
    assert list(ingest_issues.columns) == ISSUE_COLUMNS
    assert ingest_report["files_read"] == 4 and ingest_report["files_missing"] == []
    assert sorted(f["file"] for f in ingest_report["files"]) == [
        "mmz4281/2425/E0.csv",
        "mmz4281/2425/F2.csv",
        "mmz4281/2526/E0.csv",
        "mmz4281/2526/F2.csv",
    ]
    assert ingest_report["rows"] == len(raw) == sum(f["rows"] for f in ingest_report["files"])
    assert ingest_report["fetch"]["local"] == 4
    assert ingest_report["seconds"] >= 0

    result = runner.invoke(app, validate_args(params, tmp_path))
    assert result.exit_code == 0, result.output

    matches = pd.read_parquet(tmp_path / "data/interim/matches.parquet")
    quarantine = pd.read_csv(tmp_path / "data/quarantine/validation.csv")
    report = json.loads((tmp_path / "reports/validation.json").read_text())
    MATCH_TABLE.validate(matches, lazy=True)  # the contract survives the parquet round trip
    assert list(quarantine.columns) == QUARANTINE_COLUMNS
    assert report["rows_in"] == len(raw)
    assert report["rows_out"] == len(matches) == report["finished"] + report["scheduled"]
    assert report["rows_out"] + report["dropped"] == report["rows_in"]
    assert report["dropped"] == (quarantine["severity"] == "dropped").sum() == 1
    assert report["repaired"] == (quarantine["severity"] == "repaired").sum()
    dropped = quarantine[quarantine["severity"] == "dropped"].iloc[0]
    assert dropped[c.SOURCE_FILE] == "mmz4281/2526/F2.csv" and "no final score" in dropped["reason"]
    assert report["scheduled"] == int((raw[c.DATE] > pd.Timestamp("2026-03-01")).sum()) > 0
    assert set(matches[c.LEAGUE]) == {"E0", "F2"}
    assert set(matches[c.SEASON]) == {"2024-25", "2025-26"}
    assert report["matches_per_league_season"]["E0"] == {"2024-25": 380, "2025-26": 380}

    # a second ingest changes nothing (the stage is deterministic)
    before = (tmp_path / "data/interim/raw_matches.parquet").read_bytes()
    run_ingest(runner, params, tmp_path)
    assert pd.read_parquet(tmp_path / "data/interim/raw_matches.parquet").equals(raw)
    assert (tmp_path / "data/interim/raw_matches.parquet").read_bytes() == before


def test_validate_fails_on_a_breached_gate(
    shared_archive: Path, tmp_path: Path, settings_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    runner = CliRunner()
    run_ingest(runner, write_params(tmp_path, shared_archive), tmp_path)
    (tmp_path / "strict").mkdir()
    strict = write_params(tmp_path / "strict", shared_archive, share=0.0)
    with caplog.at_level("ERROR"):
        result = runner.invoke(app, validate_args(strict, tmp_path))
    assert result.exit_code == 1
    assert "bad-row gate" in caplog.text and "mmz4281/2526/F2.csv 1/" in caplog.text
    assert not (tmp_path / "data/interim/matches.parquet").exists()  # nothing published


def test_help_of_every_command() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0, top.output
    names = list(COMMANDS)
    assert {"ingest", "validate", "features", "train", "serve"} <= set(names)
    for name in names:
        assert name is not None and name in top.output
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage" in result.output
    ingest_help = runner.invoke(app, ["ingest", "--help"]).output
    for option in ("--params", "--cache", "--out", "--quarantine", "--report"):
        assert option in ingest_help


def test_console_script_points_at_the_app() -> None:
    # main runs the typer app with one-line errors for expected failures (issue 10, item 8)
    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "matchcast"]
    assert script.load() is main
