"""Workflow steps (``matchcast.tasks.workflow``) in a scratch DVC project.

The project's own ``dvc.yaml`` with a tiny ``params.yaml`` (one division, two seasons of
the shared archive): steps run their stages with ``dvc repro --single-item``, the day a
step runs as is handed to its stages (``params.yaml`` is never edited) and resolved by
ingest into ``as_of.json``, an unchanged stage is skipped, and bad
requests (unknown step, stage missing from dvc.yaml, DVC's lock held) fail clearly.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dvc.lock import make_lock
from typer.testing import CliRunner

from matchcast.cli import app
from matchcast.config import get_settings
from matchcast.data import clock
from matchcast.data.as_of import read_as_of
from matchcast.tasks.errors import WorkflowError, transient_reason
from matchcast.tasks.workflow import run_dvc, run_in_one_process, run_step

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def project(shared_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("workflow")
    shutil.copy(REPO / "dvc.yaml", work / "dvc.yaml")
    shutil.copy(REPO / ".dvcignore", work / ".dvcignore")
    # Start from the real params.yaml text (with its comments), narrowed to one division.
    text = (REPO / "params.yaml").read_text()
    params = yaml.safe_load(text)
    leagues = "[" + ", ".join(params["data"]["leagues"]) + "]"
    assert f"leagues: {leagues}" in text
    text = text.replace(f"leagues: {leagues}", "leagues: [E0]")
    text = text.replace("first: 2000-01", "first: 2024-25")
    (work / "params.yaml").write_text(text)
    (work / "src").symlink_to(REPO / "src", target_is_directory=True)
    subprocess.run([str(BIN / "dvc"), "init", "--no-scm", "-q"], cwd=work, check=True)
    saved = dict(os.environ)
    os.environ.update(
        {
            "MATCHCAST_FOOTBALL_DATA": str(shared_archive),
            "MATCHCAST_DATABASE_URL": f"sqlite:///{work / 'store.db'}",
            "MATCHCAST_PROJECT_DIR": str(work),
        }
    )
    os.environ.pop("MATCHCAST_API_URL", None)
    get_settings.cache_clear()
    yield work
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


def test_steps_run_their_stages_then_skip_them_when_nothing_changed(project: Path) -> None:
    params_before = (project / "params.yaml").read_text()
    first = run_step("refresh-data", project, dt.date(2025, 10, 1))
    assert (first.stages, first.ran, first.as_of) == (["ingest"], ["ingest"], "2025-10-01")
    resolved = read_as_of(project / "data/interim/as_of.json")
    assert (resolved.mode, resolved.as_of) == ("live", dt.date(2025, 10, 1))

    validated = run_step("validate", project)
    assert validated.ran == ["validate", "store"]
    assert (project / "data/interim/matches.parquet").is_file()
    assert (project / "store.db").is_file()

    again = run_step("validate", project)
    assert again.ran == [] and again.skipped == ["validate", "store"]

    # A new day changes as_of.json: validate runs again (ingest's rows are the same).
    moved = run_step("refresh-data", project, dt.date(2025, 11, 1))
    assert moved.ran == ["ingest"]
    assert run_step("validate", project).ran == ["validate", "store"]
    assert (project / "params.yaml").read_text() == params_before


def test_the_cli_prints_what_a_step_did(project: Path) -> None:
    result = CliRunner().invoke(app, ["workflow", "validate", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.stdout)
    assert shown["step"] == "validate" and shown["skipped"] == ["validate", "store"]


def test_an_unknown_step_is_refused_naming_the_known_ones(project: Path) -> None:
    with pytest.raises(WorkflowError, match=r"unknown step 'deploy'; known: refresh-data, "):
        run_step("deploy", project)
    result = CliRunner().invoke(app, ["workflow", "deploy", "--project-dir", str(project)])
    assert result.exit_code == 1
    assert "error: unknown step 'deploy'" in result.output


def test_a_step_whose_stage_is_missing_is_refused(project: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    spec = yaml.safe_load((project / "dvc.yaml").read_text())
    spec["stages"].pop("monitor", None)
    (partial / "dvc.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(WorkflowError, match=r"step 'monitor' needs stage\(s\) \['monitor'\]"):
        run_step("monitor", partial)
    with pytest.raises(WorkflowError, match=r"is not a matchcast DVC project: no dvc\.yaml"):
        run_step("validate", tmp_path / "empty")


def test_dvc_lock_contention_fails_the_step_as_a_transient_error(project: Path) -> None:
    lock = make_lock(str(project / ".dvc" / "tmp" / "lock"), friendly=False)
    lock.lock()
    try:
        with pytest.raises(WorkflowError) as caught:
            run_step("validate", project)
    finally:
        lock.unlock()
    assert transient_reason(caught.value) == "DVC lock contention"
    assert run_step("validate", project).skipped == ["validate", "store"]


def test_the_cli_refuses_a_step_while_a_job_holds_the_project_lock(
    project: Path,
) -> None:
    from matchcast.tasks.jobs import lock_url
    from matchcast.tasks.lock import project_lock

    holder = {"job": "retrain", "job_id": "j-123", "worker": "w:1", "since": "2026-01-01"}
    settings = get_settings()
    with project_lock(project.resolve(), holder, lock_url(settings), settings.job_lock_ttl_s):
        held = CliRunner().invoke(app, ["workflow", "validate", "--project-dir", str(project)])
    assert held.exit_code == 75
    assert "busy: job retrain j-123 on w:1" in held.output
    freed = CliRunner().invoke(app, ["workflow", "validate", "--project-dir", str(project)])
    assert freed.exit_code == 0, freed.output


def test_the_cli_refuses_a_folder_that_is_not_a_project_and_leaves_it_untouched(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, ["workflow", "validate", "--project-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a matchcast DVC project: no dvc.yaml" in result.output
    assert list(tmp_path.iterdir()) == []


def test_stages_run_in_one_process_then_committed_are_up_to_date_for_dvc(project: Path) -> None:
    # How the daily step runs (ADR-0018): one `matchcast stages` process, then dvc commit.
    stages = ["ingest", "validate", "store"]
    run_in_one_process(project, stages, {clock.TODAY_ENV: "2025-12-01"})
    run_dvc(project, ["commit", "--force", "--quiet", *stages])
    resolved = read_as_of(project / "data/interim/as_of.json")
    assert (resolved.mode, resolved.as_of) == ("live", dt.date(2025, 12, 1))
    again = run_step("validate", project)
    assert again.ran == [] and again.skipped == ["validate", "store"]


def test_a_failing_stage_fails_the_one_process_run_naming_it(project: Path) -> None:
    with pytest.raises(WorkflowError, match="matchcast stages ingest nope failed") as failed:
        run_in_one_process(project, ["ingest", "nope"])
    assert "stage 'nope' is not in" in str(failed.value)
