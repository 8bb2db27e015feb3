"""Expected failures end in one clear line and a non-zero exit, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "matchcast"), *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def ingest_args(tmp_path: Path) -> list[str]:
    return [
        "ingest", "--params", str(tmp_path / "params.yaml"), "--cache", str(tmp_path / "raw"),
        "--out", str(tmp_path / "raw.parquet"), "--quarantine", str(tmp_path / "q.csv"),
        "--report", str(tmp_path / "ingest.json"), "--as-of-out", str(tmp_path / "as_of.json"),
    ]  # fmt: skip


def test_network_down_is_one_line_naming_the_file_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(
        "data:\n  leagues: [E0]\n  seasons: [2024-25]\n  as_of: '2025-03-01'\n"
    )
    offline = {"MATCHCAST_FOOTBALL_DATA": "http://127.0.0.1:9", "MATCHCAST_HTTP_RETRIES": "0"}
    done = run(ingest_args(tmp_path), tmp_path, **offline)  # nothing listens on port 9
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert "mmz4281/2425/E0.csv" in errors[0]
    assert "check the network" in errors[0]
    verbose = run(["--verbose", *ingest_args(tmp_path)], tmp_path, **offline)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_a_bad_parameter_names_the_parameter(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("data:\n  as_of: yesterday\n")
    done = run(ingest_args(tmp_path), tmp_path, MATCHCAST_FOOTBALL_DATA=str(tmp_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "error: bad parameter as_of" in done.stderr
    assert "fix the value in params.yaml" in done.stderr
