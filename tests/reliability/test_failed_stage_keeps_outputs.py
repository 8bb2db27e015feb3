"""A failed ``validate`` keeps the published outputs and writes its evidence (issue 13, item 3).

Real ``dvc repro`` runs in a scratch copy of the project (this repository's dvc.yaml and
params.yaml; one league, two seasons of a copy of the shared archive), and the stage run
as dvc.yaml calls it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from matchcast.cli import app
from matchcast.config import get_settings
from matchcast.data import columns as c
from matchcast.tasks.errors import WorkflowError
from matchcast.tasks.workflow import run_dvc

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
E0_2526 = "mmz4281/2526/E0.csv"
PUBLISHED = (
    "data/interim/matches.parquet",
    "data/quarantine/validation.csv",
    "reports/validation.json",
)
EVIDENCE = ("data/quarantine/validation.failed.csv", "reports/validation.failed.json")


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def set_params(project: Path, **validate: object) -> None:
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["validate"].update(validate)
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture
def project(shared_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    archive = tmp_path / "archive"
    for relative in ("mmz4281/2425/E0.csv", E0_2526):
        (archive / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_archive / relative, archive / relative)
    project = tmp_path / "project"
    project.mkdir()
    shutil.copyfile(REPO / "dvc.yaml", project / "dvc.yaml")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["data"].update(
        {
            "football_data": str(archive),
            "leagues": ["E0"],
            "seasons": {"first": "2024-25", "last": "2025-26"},
            "as_of": "2026-03-01",
        }
    )
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for name in list(os.environ):
        if name.startswith("MATCHCAST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MATCHCAST_FOOTBALL_DATA", str(archive))
    monkeypatch.setenv("MATCHCAST_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    run_dvc(project, ["init", "--no-scm"])
    return project


def test_a_failed_gate_keeps_the_published_set_and_writes_the_evidence(project: Path) -> None:
    run_dvc(project, ["repro", "validate"])
    before = {name: md5(project / name) for name in PUBLISHED}
    lock_before = (project / "dvc.lock").read_text()
    archive = Path(os.environ["MATCHCAST_FOOTBALL_DATA"])
    full = (archive / E0_2526).read_bytes()
    lines = full.split(b"\n")
    (archive / E0_2526).write_bytes(b"\n".join(lines[:302]) + b"\n" + lines[302][:80])

    with pytest.raises(WorkflowError) as failed:
        run_dvc(project, ["repro", "validate"])

    output = str(failed.value)
    assert f"{E0_2526} 380 -> 302 rows (-78)" in output
    assert "data/quarantine/validation.failed.csv" in output
    assert "the file ends inside this row" in output and "(1)" in output  # top reasons, counts
    # DVC deleted these before the fix; now the last good set is untouched
    assert {name: md5(project / name) for name in PUBLISHED} == before
    evidence = json.loads((project / EVIDENCE[1]).read_text())
    assert evidence["failed"] is True and "accept_shrink" in evidence["gate"]
    assert evidence["rows_per_file"][E0_2526] == 302
    rows = pd.read_csv(project / EVIDENCE[0])
    assert rows[c.SOURCE_LINE].tolist() == [303] and (rows["severity"] == "dropped").all()
    # dvc.lock still describes the published validate outputs
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    validate_outs = {o["path"]: o["md5"] for o in lock["stages"]["validate"]["outs"]}
    assert validate_outs["data/interim/matches.parquet"] == before["data/interim/matches.parquet"]
    old_lock = yaml.safe_load(lock_before)["stages"]["validate"]
    assert lock["stages"]["validate"] == old_lock

    set_params(project, accept_shrink=True)  # the user accepts the shorter file
    run_dvc(project, ["repro", "validate"])
    assert not any((project / name).exists() for name in EVIDENCE)
    matches = pd.read_parquet(project / PUBLISHED[0])
    assert (matches[c.SOURCE_FILE] == E0_2526).sum() == 301

    # still reproducible: the same inputs give the same table as the first run
    (archive / E0_2526).write_bytes(full)
    set_params(project, accept_shrink=False)
    run_dvc(project, ["repro", "validate"])
    assert md5(project / PUBLISHED[0]) == before[PUBLISHED[0]]
    status = run_dvc(project, ["status", "validate"])
    assert "changed" not in status


def run_stages(archive: Path, tmp_path: Path, first_season: str = "2024-25") -> tuple[int, Path]:
    """ingest then validate through the CLI as dvc.yaml calls them; validate's exit code."""
    params = tmp_path / "params.yaml"
    params.write_text(
        f"data:\n  football_data: {archive}\n  leagues: [E0]\n"
        f"  seasons: {{first: {first_season}, last: 2025-26}}\n  as_of: '2026-03-01'\n"
        "validate:\n  max_bad_row_share: 0.005\n"
    )
    work = tmp_path / "work"
    runner = CliRunner()
    get_settings.cache_clear()  # the settings are read once per process: read this env
    ingest = runner.invoke(
        app,
        [
            "ingest", f"--params={params}", f"--cache={work / 'raw'}",
            f"--out={work / 'raw.parquet'}", f"--quarantine={work / 'ingest.csv'}",
            f"--report={work / 'ingest.json'}", f"--as-of-out={work / 'as_of.json'}",
        ],
        env={"MATCHCAST_FOOTBALL_DATA": str(archive)},
    )  # fmt: skip
    get_settings.cache_clear()
    assert ingest.exit_code == 0, ingest.output
    validate = runner.invoke(
        app,
        [
            "validate", f"--params={params}", f"--raw={work / 'raw.parquet'}",
            f"--ingest-quarantine={work / 'ingest.csv'}", f"--out={work / 'matches.parquet'}",
            f"--quarantine={work / 'validation.csv'}", f"--report={work / 'validation.json'}",
            f"--as-of={work / 'as_of.json'}",
        ],
    )  # fmt: skip
    return validate.exit_code, work


def test_a_file_cut_to_its_header_fails_the_shrink_gate(
    shared_archive: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive = tmp_path / "archive"
    for relative in ("mmz4281/2425/E0.csv", E0_2526):
        (archive / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_archive / relative, archive / relative)
    code, work = run_stages(archive, tmp_path)
    assert code == 0
    header = (archive / E0_2526).read_bytes().split(b"\n")[0] + b"\n"
    (archive / E0_2526).write_bytes(header)  # no data row left: absent from the parsed rows
    shutil.rmtree(work / "raw", ignore_errors=True)  # no cached copy either
    code, work = run_stages(archive, tmp_path)
    assert code == 1
    message = " ".join(r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert f"{E0_2526} 380 -> 0 rows (-380)" in message
    assert json.loads((work / "validation.json").read_text())["rows_per_file"][E0_2526] == 380


def test_a_bad_row_gate_names_the_evidence_and_the_top_reasons(
    shared_archive: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive = tmp_path / "archive"
    target = archive / E0_2526
    target.parent.mkdir(parents=True)
    lines = (shared_archive / E0_2526).read_bytes().split(b"\n")
    for at in range(1, 6):  # five past matches lose their score: 5/380 > 0.5 %
        fields = lines[at].split(b",")
        fields[5:8] = [b"", b"", b""]
        lines[at] = b",".join(fields)
    target.write_bytes(b"\n".join(lines))
    code, work = run_stages(archive, tmp_path, first_season="2025-26")
    assert code == 1
    message = " ".join(r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert f"{E0_2526} 5/380 (1.32%)" in message
    assert str(work / "validation.failed.csv") in message
    assert "no final score for a match on or before as_of 2026-03-01 (abandoned or void) (5)" in (
        message
    )
    assert not (work / "matches.parquet").exists()  # nothing published
    failed = pd.read_csv(work / "validation.failed.csv")
    assert sorted(failed[c.SOURCE_LINE]) == [2, 3, 4, 5, 6]
    report = json.loads((work / "validation.failed.json").read_text())
    assert list(report["dropped_by_reason"].values()) == [5]
