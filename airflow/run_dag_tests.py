"""End-to-end test of the Airflow DAGs: ``airflow dags test`` on both, every task real.

Run by ``make airflow-test`` with the project's interpreter; Airflow itself runs from its
own virtualenv (``--airflow-bin``), where matchcast is not installed: the DAGs call the
project's ``matchcast`` executable, as they would in production.

What it does, in a temporary folder that is removed afterwards (``--keep`` keeps it):

1. a scratch DVC project: this checkout's ``dvc.yaml`` and ``.dvcignore``, ``src`` symlinked,
   a tiny ``params.yaml`` (one division from 2019-20, one Optuna trial), its own SQL store,
   MLflow store and artifact root;
2. the real API (``matchcast serve``) on a free loopback port with its file watcher off, so
   only the DAGs' ``reload`` task can make it load new forecasts;
3. a temporary ``AIRFLOW_HOME`` with a standalone SQLite metadata database, no examples and
   this checkout's ``dags`` folder: ``db migrate``, the ``matchcast`` pool, ``dags
   reserialize``; ``dags list-import-errors`` must be empty;
4. ``dags test matchcast_weekly`` with ``as_of`` = TRAIN_AS_OF (it trains and registers a
   champion), then ``dags test matchcast_daily`` with ``as_of`` = FORECAST_AS_OF (it
   forecasts with that champion a month later, monitors, reloads the API).

After each run: the command's exit code, the run's state and every task's state (all
``success``), and what the run must have left behind (the cut-off in ``as_of.json``,
``params.yaml`` untouched, the champion, the forecasts, the monitoring reports, the API
serving the new forecasts).
Any failure exits non-zero with the reason and the end of the logs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
TRAIN_AS_OF = "2026-01-01"
FORECAST_AS_OF = "2026-02-01"
EXPECTED_TASKS = {
    "matchcast_weekly": [
        "refresh_data",
        "validate",
        "train",
        "evaluate",
        "register",
        "batch_inference",
        "reload",
    ],
    "matchcast_daily": ["refresh_data", "validate", "batch_inference", "monitor", "reload"],
}
LOG_TAIL = 6000


class DagTestError(RuntimeError):
    """A check failed; the message says which and why."""


def tiny_params(source: Path) -> dict[str, Any]:
    """The project's params with a slice small enough for a run of a couple of minutes.

    One division's test seasons (about 760 matches) are too few for the production
    calibration gates to mean anything, so the scratch project loosens them: this test
    checks the orchestration, and the gates are tested with the model.
    """
    params: dict[str, Any] = yaml.safe_load(source.read_text())
    params["data"].update({"leagues": ["E0"], "seasons": {"first": "2019-20", "last": None}})
    params["model"]["holdout_seasons"] = 1
    params["model"]["tuning"].update({"n_trials": 1, "timeout_s": 10, "folds": 1})
    params["evaluate"]["dixon_coles"]["enabled"] = False
    params["register"]["gates"].update({"min_gain_over_prior": 0.0, "max_ece": 0.2})
    return params


def make_project(folder: Path, matchcast_bin: Path, env: Mapping[str, str]) -> Path:
    """A scratch DVC project running this checkout's stages on a tiny slice."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / "dvc.yaml", folder / "dvc.yaml")
    shutil.copy(REPO / ".dvcignore", folder / ".dvcignore")
    params = tiny_params(REPO / "params.yaml")
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (folder / "src").symlink_to(REPO / "src", target_is_directory=True)
    dvc = matchcast_bin.parent / "dvc"
    run([str(dvc), "init", "--no-scm", "-q"], cwd=folder, env=env)
    return folder


def say(message: str, *, error: bool = False) -> None:
    """One line of the test's own output (stderr for failures)."""
    stream = sys.stderr if error else sys.stdout
    stream.write(message + "\n")
    stream.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    log: Path | None = None,
) -> str:
    """Run a command; return its stdout, or raise with the end of its output."""
    done = subprocess.run(list(command), cwd=cwd, env=dict(env), capture_output=True, text=True)
    if log is not None:
        log.write_text(done.stdout + "\n--- stderr ---\n" + done.stderr)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-LOG_TAIL:]
        raise DagTestError(f"{' '.join(command)} exited {done.returncode}:\n{tail}")
    return done.stdout


def json_output(stdout: str) -> Any:
    """The JSON document in a CLI's stdout: Airflow may log lines before it."""
    lines = stdout.splitlines()
    for number, line in enumerate(lines):
        if line.startswith(("[", "{")):
            try:
                return json.loads("\n".join(lines[number:]))
            except json.JSONDecodeError:
                continue
    raise DagTestError(f"no JSON in the output:\n{stdout[-LOG_TAIL:]}")


class Api:
    """The real API, serving the scratch project's files, reloaded only on request."""

    def __init__(self, project: Path, matchcast_bin: Path, env: Mapping[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = secrets.token_hex(16)
        self.log = (project.parent / "api.log").open("w")
        api_env = {**env, "MATCHCAST_API_KEY": self.key, "MATCHCAST_RELOAD_INTERVAL_S": "0"}
        self.process = subprocess.Popen(
            [str(matchcast_bin), "serve", "--port", str(self.port), "--no-local-worker"],
            cwd=project,
            env=api_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DagTestError(f"the API exited ({self.process.returncode}); see api.log")
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.3)
        raise DagTestError("the API did not answer within 60 s")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Airflow:
    """The ``airflow`` CLI of Airflow's own virtualenv, in a temporary AIRFLOW_HOME."""

    def __init__(self, binary: Path, home: Path, env: Mapping[str, str]) -> None:
        self.binary = binary
        self.logs = home / "cli-logs"
        self.logs.mkdir(parents=True)
        self.env = {
            **env,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        }
        self.calls = 0

    def __call__(self, *args: str) -> str:
        self.calls += 1
        log = self.logs / f"{self.calls:02d}-{'-'.join(args[:3])}.log"
        return run([str(self.binary), *args], env=self.env, log=log)

    def timed(self, *args: str) -> tuple[str, float]:
        started = time.perf_counter()
        out = self(*args)
        return out, time.perf_counter() - started


def check_run(airflow: Airflow, dag_id: str) -> str:
    """The DAG's one run succeeded, and so did every task it should have.

    Returns:
        Each task's duration, for the log.
    """
    runs = json_output(airflow("dags", "list-runs", dag_id, "-o", "json"))
    if len(runs) != 1:
        raise DagTestError(f"{dag_id}: expected one run, found {runs}")
    if runs[0]["state"] != "success":
        raise DagTestError(f"{dag_id}: run {runs[0]['run_id']} ended {runs[0]['state']!r}")
    states = json_output(
        airflow("tasks", "states-for-dag-run", dag_id, runs[0]["run_id"], "-o", "json")
    )
    got = {row["task_id"]: row["state"] for row in states}
    if sorted(got) != sorted(EXPECTED_TASKS[dag_id]):
        raise DagTestError(f"{dag_id}: tasks {sorted(got)} != {EXPECTED_TASKS[dag_id]}")
    failed = {task: state for task, state in got.items() if state != "success"}
    if failed:
        raise DagTestError(f"{dag_id}: tasks not successful: {failed}")
    durations = []
    for row in states:
        took = dt.datetime.fromisoformat(row["end_date"]) - dt.datetime.fromisoformat(
            row["start_date"]
        )
        durations.append(f"{row['task_id']} {took.total_seconds():.1f} s")
    return ", ".join(durations)


def check_weekly(project: Path, api: Api) -> str:
    """The weekly run trained as of TRAIN_AS_OF, registered a champion, served its forecasts."""
    resolved = json.loads((project / "data/interim/as_of.json").read_text())
    if resolved["as_of"] != TRAIN_AS_OF:
        raise DagTestError(f"weekly: the run's as_of is {resolved}, not {TRAIN_AS_OF}")
    if yaml.safe_load((project / "params.yaml").read_text())["data"]["as_of"] != "today":
        raise DagTestError("weekly: params.yaml was edited (data.as_of is no longer 'today')")
    registry = json.loads((project / "reports/registry.json").read_text())
    if registry.get("champion_version") is None:
        raise DagTestError(f"weekly: no champion registered: {registry}")
    return check_served(project, api, "weekly", TRAIN_AS_OF)


def check_daily(project: Path, api: Api, weekly_version: str) -> None:
    """The daily run forecast as of FORECAST_AS_OF, monitored, and the API reloaded."""
    for report in ("drift.json", "drift.html", "live_quality.json"):
        if not (project / "reports" / report).is_file():
            raise DagTestError(f"daily: monitor left no reports/{report}")
    version = check_served(project, api, "daily", FORECAST_AS_OF)
    if version == weekly_version:
        raise DagTestError("daily: the API still serves the weekly run's forecasts")


def check_served(project: Path, api: Api, name: str, as_of: str) -> str:
    """Forecasts exist for matches after ``as_of`` only, and the API serves exactly them."""
    predictions = pd.read_parquet(project / "data/predictions/predictions.parquet")
    if predictions.empty:
        raise DagTestError(f"{name}: no forecasts")
    matches = pd.read_parquet(project / "data/interim/matches.parquet")
    kickoff = matches.set_index("match_id").loc[predictions["match_id"], "date"]
    if (pd.to_datetime(kickoff) <= pd.Timestamp(as_of)).any():
        raise DagTestError(f"{name}: a forecast for a match on or before {as_of}")
    if set(predictions["features_as_of"].astype(str)) != {as_of}:
        raise DagTestError(f"{name}: forecasts made as of {set(predictions['features_as_of'])}")
    ready = api.get("/readyz")
    if ready.status_code != 200:
        raise DagTestError(f"{name}: the API is not ready after reload: {ready.text}")
    match_id = str(predictions["match_id"].iloc[0])
    answer = api.get(f"/predict/{match_id}")
    if answer.status_code != 200:
        raise DagTestError(f"{name}: GET /predict/{match_id} -> {answer.status_code}")
    served = {row: answer.json()[row] for row in ("p_home", "p_draw", "p_away")}
    expected = predictions.iloc[0][["p_home", "p_draw", "p_away"]].to_dict()
    if any(abs(served[k] - float(expected[k])) > 1e-9 for k in served):
        raise DagTestError(f"{name}: the API serves {served}, the file holds {expected}")
    return str(predictions["data_version"].iloc[0])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow-bin", type=Path, required=True)
    parser.add_argument(
        "--matchcast-bin", type=Path, default=Path(sys.executable).parent / "matchcast"
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch folder.")
    args = parser.parse_args(argv)

    archive = Path(
        os.environ.get("MATCHCAST_FOOTBALL_DATA") or REPO.parent / "shared/data/football-data"
    )
    if not (archive / "mmz4281").is_dir():
        message = f"airflow-test: no offline archive at {archive}"
        if os.environ.get("CI") == "true":
            say(f"{message}; CI needs it", error=True)
            return 1
        say(f"{message}: skipped")
        return 0

    scratch = Path(tempfile.mkdtemp(prefix="matchcast-airflow-"))
    project = scratch / "project"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "MATCHCAST_"))
    }
    env.update(
        {
            "PATH": f"{args.matchcast_bin.parent}{os.pathsep}{env.get('PATH', '')}",
            "MATCHCAST_FOOTBALL_DATA": str(archive),
            "MATCHCAST_DATABASE_URL": f"sqlite:///{project / 'store.db'}",
            "MATCHCAST_MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}",
            "MATCHCAST_MLFLOW_ARTIFACT_ROOT": str(project / "mlartifacts"),
        }
    )
    api: Api | None = None
    timings: list[tuple[str, float]] = []
    passed = failed = 0
    try:
        make_project(project, args.matchcast_bin, env)
        api = Api(project, args.matchcast_bin, env)
        dag_env = {
            **env,
            "MATCHCAST_BIN": str(args.matchcast_bin.resolve()),
            "MATCHCAST_PROJECT_DIR": str(project),
            "MATCHCAST_API_URL": api.url,
            "MATCHCAST_API_KEY": api.key,
        }
        airflow = Airflow(args.airflow_bin, scratch / "airflow-home", dag_env)
        airflow("db", "migrate")
        airflow("pools", "set", "matchcast", "1", "one matchcast step at a time")
        airflow("dags", "reserialize")
        errors = json_output(airflow("dags", "list-import-errors", "-o", "json"))
        if errors:
            raise DagTestError(f"import errors: {errors}")
        if api.get("/readyz").status_code == 200:
            raise DagTestError("the API is ready before any DAG ran: the test would prove nothing")

        conf = json.dumps({"as_of": TRAIN_AS_OF})
        _, seconds = airflow.timed("dags", "test", "matchcast_weekly", "-c", conf)
        timings.append(("matchcast_weekly", seconds))
        tasks = check_run(airflow, "matchcast_weekly")
        weekly_version = check_weekly(project, api)
        passed += 1
        say(f"airflow-test: matchcast_weekly succeeded in {seconds:.1f} s ({tasks})")

        conf = json.dumps({"as_of": FORECAST_AS_OF})
        _, seconds = airflow.timed("dags", "test", "matchcast_daily", "-c", conf)
        timings.append(("matchcast_daily", seconds))
        tasks = check_run(airflow, "matchcast_daily")
        check_daily(project, api, weekly_version)
        passed += 1
        say(f"airflow-test: matchcast_daily succeeded in {seconds:.1f} s ({tasks})")
    except (DagTestError, OSError, KeyError, ValueError) as error:
        failed = 2 - passed
        say(f"airflow-test: FAILED: {error}", error=True)
        say(f"airflow-test: logs kept in {scratch}", error=True)
        args.keep = True
    finally:
        if api is not None:
            api.stop()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        elif not failed:
            say(f"airflow-test: scratch folder kept in {scratch}")
    say(f"airflow: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
