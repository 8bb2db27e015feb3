"""Jobs end to end: the API enqueues, a real worker process runs the DVC stages.

Each test builds a scratch DVC project (one division, two seasons of the shared archive)
and starts ``matchcast worker`` as a separate process: a Celery worker against the real
Redis or RabbitMQ (unique queue names per test), or the local worker without a broker.
The API (TestClient) only submits and reads status. Retry is exercised by holding the
project's lock from the test; a worker killed with SIGKILL while a stage runs must leave
every output whole (atomic writes, temporary files removed) and the job must be
redelivered (late acks) and finish on a new worker.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pyarrow.parquet as pq
import pytest
import yaml
from fastapi.testclient import TestClient

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.app.state import ServingFiles
from matchcast.data.as_of import read_as_of
from matchcast.data.io import file_md5
from matchcast.tasks.celery_config import CeleryConfig, default_result_backend
from matchcast.tasks.client import JobsConfig
from matchcast.tasks.lock import project_lock
from matchcast.tasks.workflow import declared_outputs

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KEY = "test-key-0123456789"
HEADERS = {"X-API-Key": KEY}
REDIS_JOBS_DB = 13  # not the cache tests' database
STAGES = ("ingest", "validate", "store")


def make_project(root: Path, archive: Path) -> Path:
    """A DVC project with the repository's dvc.yaml and a tiny params.yaml."""
    project = root / "project"
    project.mkdir()
    shutil.copy(REPO / "dvc.yaml", project / "dvc.yaml")
    shutil.copy(REPO / ".dvcignore", project / ".dvcignore")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    # Live against the archive: a job's day (its as_of) becomes the run's cut-off; a run
    # without one replays at 2025-10-01 (the archive lists nothing after today).
    params["data"].update(
        {
            "leagues": ["E0"],
            "seasons": {"first": "2024-25", "last": None},
            "as_of": "today",
            "replay_as_of": "2025-10-01",
        }
    )
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (project / "src").symlink_to(REPO / "src", target_is_directory=True)
    subprocess.run([str(BIN / "dvc"), "init", "--no-scm", "-q"], cwd=project, check=True)
    return project


def worker_env(
    project: Path, archive: Path, database_url: str, extra: dict[str, str]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHCAST_")}
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "MATCHCAST_FOOTBALL_DATA": str(archive),
            "MATCHCAST_DATABASE_URL": database_url,
            "MATCHCAST_PROJECT_DIR": str(project),
            "MATCHCAST_JOB_RETRY_BACKOFF_S": "1",
            "MATCHCAST_JOB_RETRY_BACKOFF_MAX_S": "2",
            "MATCHCAST_JOB_MAX_RETRIES": "20",
            "MATCHCAST_JOB_LOCK_TTL_S": "5",
            "MATCHCAST_LOCAL_WORKER_POLL_S": "0.2",
            **extra,
        }
    )
    return env


class Workers:
    """Worker processes started by a test, each in its own process group."""

    def __init__(self, env: dict[str, str], cwd: Path, logs: Path) -> None:
        self.env, self.cwd, self.logs = env, cwd, logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, ready_line: str | None) -> subprocess.Popen[bytes]:
        log = self.logs / f"worker-{len(self.processes)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(BIN / "matchcast"), "worker", "--loglevel=info"],
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        deadline = time.monotonic() + 60
        while ready_line and ready_line not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "worker did not become ready"
            time.sleep(0.2)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and everything it started (DVC, the running stage)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in self.logs.glob("*.log"))


@pytest.fixture
def workers_factory(tmp_path: Path) -> Iterator[Callable[[dict[str, str], Path], Workers]]:
    started: list[Workers] = []

    def make(env: dict[str, str], cwd: Path) -> Workers:
        workers = Workers(env, cwd, tmp_path)
        started.append(workers)
        return workers

    yield make
    for workers in started:
        workers.stop_all()


def api(jobs: JobsConfig, tmp_path: Path) -> TestClient:
    files = ServingFiles(
        predictions=tmp_path / "none.parquet",
        model=tmp_path / "none.json",
        matches=tmp_path / "none-matches.parquet",
    )
    config = ServeConfig(files=files, reload_interval_s=0, api_key=KEY, jobs=jobs)
    return TestClient(create_app(config))


def poll(
    client: TestClient, url: str, until: Callable[[dict[str, Any]], bool], timeout_s: float = 120
) -> tuple[dict[str, Any], list[str]]:
    """Poll a job's status until ``until``; return the last answer and the states seen."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while True:
        answer = client.get(url, headers=HEADERS)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if not seen or seen[-1] != body["state"]:
            seen.append(body["state"])
        if until(body):
            return body, seen
        assert body["state"] != "failed", body
        assert time.monotonic() < deadline, f"timed out in {seen}: {body}"
        time.sleep(0.1)


def submit(client: TestClient, as_of: str) -> str:
    answer = client.post("/admin/jobs/refresh_data", json={"as_of": as_of}, headers=HEADERS)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["state"] == "queued"
    assert answer.headers["location"] == body["status_url"] == f"/admin/jobs/{body['job_id']}"
    return str(body["status_url"])


def running_stage(worker: subprocess.Popen[bytes]) -> psutil.Process | None:
    """The stage command (``matchcast ingest|validate|store``) the worker runs, if any."""
    try:
        children = psutil.Process(worker.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for child in children:
        try:
            line = child.cmdline()
        except psutil.Error:
            continue
        if any(Path(part).name == "matchcast" for part in line[:2]) and set(line) & set(STAGES):
            return child
    return None


def output_state(project: Path) -> dict[str, str]:
    return {
        str(path.relative_to(project)): file_md5(path)
        for path in declared_outputs(project)
        if path.is_file()
    }


def stage_outputs(project: Path, stage: str) -> set[str]:
    spec = yaml.safe_load((project / "dvc.yaml").read_text())["stages"][stage]
    return {next(iter(out)) if isinstance(out, dict) else out for out in spec.get("outs", [])}


def assert_whole(path: Path) -> None:
    """A published output is complete: parquet has its footer, JSON parses."""
    if path.suffix == ".parquet":
        pq.read_metadata(path)
    elif path.suffix == ".json":
        json.loads(path.read_text())


def leftovers(project: Path) -> list[Path]:
    return [
        tmp
        for output in declared_outputs(project)
        for tmp in output.parent.glob(f".{output.name}.*.tmp")
    ]


def check_timestamps(body: dict[str, Any]) -> None:
    submitted = dt.datetime.fromisoformat(body["submitted_at"])
    started = dt.datetime.fromisoformat(body["started_at"])
    finished = dt.datetime.fromisoformat(body["finished_at"])
    assert submitted <= started < finished


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_celery_worker_runs_retries_and_survives_being_killed(
    broker: str,
    request: pytest.FixtureRequest,
    shared_archive: Path,
    tmp_path: Path,
    workers_factory: Callable[[dict[str, str], Path], Workers],
) -> None:
    if broker == "redis":
        base = request.getfixturevalue("redis_url")
        broker_url = base.rsplit("/", 1)[0] + f"/{REDIS_JOBS_DB}"
        ready = "ready."
    else:
        broker_url = request.getfixturevalue("amqp_url")
        ready = "ready."
    project = make_project(tmp_path, shared_archive)
    database_url = f"sqlite:///{tmp_path / 'store.db'}"
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    extra = {
        "MATCHCAST_BROKER_URL": broker_url,
        "MATCHCAST_JOB_QUEUE_PREFIX": prefix,
        # Redis redelivers an unacknowledged message after this; RabbitMQ at once.
        "MATCHCAST_BROKER_VISIBILITY_TIMEOUT_S": "12",
    }
    env = worker_env(project, shared_archive, database_url, extra)
    celery = CeleryConfig(
        broker_url=broker_url,
        result_backend=default_result_backend(broker_url, database_url),
        queue_prefix=prefix,
        visibility_timeout_s=12,
    )
    workers = workers_factory(env, project)
    first = workers.start(ready)
    lock_redis = broker_url if broker == "redis" else None
    with api(JobsConfig(database_url, celery), tmp_path) as client:
        # 1. Held project lock → retrying (attempt 1), released → runs and succeeds (attempt 2).
        holder = {"job": "test", "job_id": "held-by-the-test", "worker": "pytest", "since": "now"}
        with project_lock(project, holder, lock_redis, ttl_s=60):
            url = submit(client, "2025-10-01")
            body, seen = poll(client, url, lambda b: b["state"] == "retrying", 60)
            assert "held-by-the-test" in body["error"]
            assert body["attempts"] == 1
        body, later = poll(client, url, lambda b: b["state"] == "succeeded")
        seen += later[1:]
        # submit() saw "queued"; a worker may claim the job before the first poll.
        assert seen[-1] == "succeeded" and "running" in seen
        assert seen.index("retrying") < len(seen) - 1
        assert body["attempts"] == 2
        assert body["error"] is None
        check_timestamps(body)
        assert [step["step"] for step in body["result"]["steps"]] == ["refresh-data", "validate"]
        assert "ingest" in body["result"]["steps"][0]["ran"]

        # 2. Kill the worker (and its DVC run) while a stage runs; nothing is half-written.
        before = output_state(project)
        assert len(before) >= 6
        url = submit(client, "2025-11-01")
        poll(client, url, lambda b: b["state"] == "running", 60)
        # Kill inside a stage's work: a stage still running half a second after it was seen
        # (a quick stage that ended meanwhile is passed over for the next one).
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, workers.log()
            stage = running_stage(first)
            if stage is not None:
                time.sleep(0.5)
                if stage.is_running():
                    break
            time.sleep(0.05)
        killed_stage = next(part for part in stage.cmdline() if part in STAGES)
        workers.kill(first)
        after_kill = output_state(project)
        # DVC deletes a stage's outputs before running it: only the killed stage's may be
        # missing; every file present is either the old one or a whole new one.
        assert set(before) - set(after_kill) <= stage_outputs(project, killed_stage)
        for name, digest in after_kill.items():
            if digest != before[name]:  # a stage finished before the kill: whole and new
                assert_whole(project / name)
        killed_status = client.get(url, headers=HEADERS).json()
        assert killed_status["state"] == "running" and killed_status["attempts"] == 1

        workers.start(ready)
        body, seen = poll(client, url, lambda b: b["state"] == "succeeded", 150)
        assert body["attempts"] >= 2, body  # redelivered after the worker died
        check_timestamps(body)
    for name in output_state(project):
        assert_whole(project / name)
    assert leftovers(project) == []
    # Every output is the one dvc.lock records (the redelivered run completed the stages).
    lock = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    recorded = {out["path"]: out["md5"] for stage in STAGES for out in lock[stage]["outs"]}
    assert recorded == {name: output_state(project)[name] for name in recorded}
    assert_ran_as_of(project, dt.date(2025, 11, 1))


def assert_ran_as_of(project: Path, day: dt.date) -> None:
    """The job's day reached its stages (as_of.json), and params.yaml was left alone."""
    assert read_as_of(project / "data/interim/as_of.json").as_of == day
    assert yaml.safe_load((project / "params.yaml").read_text())["data"]["as_of"] == "today"


def test_local_worker_runs_a_job_without_a_broker(
    shared_archive: Path,
    tmp_path: Path,
    workers_factory: Callable[[dict[str, str], Path], Workers],
) -> None:
    project = make_project(tmp_path, shared_archive)
    database_url = f"sqlite:///{tmp_path / 'store.db'}"
    env = worker_env(project, shared_archive, database_url, {})
    workers_factory(env, project).start(ready_line="polling")
    with api(JobsConfig(database_url, None), tmp_path) as client:
        holder = {"job": "test", "job_id": "held-by-the-test", "worker": "pytest", "since": "now"}
        with project_lock(project, holder, None):
            url = submit(client, "2025-11-01")
            body, seen = poll(client, url, lambda b: b["state"] == "retrying", 60)
            assert "held-by-the-test" in body["error"]
        body, later = poll(client, url, lambda b: b["state"] == "succeeded")
        seen += later[1:]
    # submit() saw "queued"; the worker may claim the job before the first poll.
    assert seen[-1] == "succeeded" and "running" in seen
    assert seen.index("retrying") < len(seen) - 1
    assert body["attempts"] == 2
    check_timestamps(body)
    assert (project / "data/interim/matches.parquet").is_file()
    assert_ran_as_of(project, dt.date(2025, 11, 1))
