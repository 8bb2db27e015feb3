"""``matchcast serve`` end to end: a real uvicorn process serving files, reloading a new one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.fixtures.sample import synthetic_predictions, write_serving_files

from matchcast.app.state import ServingFiles
from matchcast.data.io import write_parquet

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MATCHCAST = Path(sys.executable).with_name("matchcast")
Served = tuple[ServingFiles, pd.DataFrame, pd.DataFrame]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    return False


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Served]]:
    """A served sample; ``indirect`` parametrization gives the number of uvicorn workers."""
    workers = getattr(request, "param", 1)
    served = write_serving_files(tmp_path)
    files = served[0]
    port = free_port()
    env = {
        **os.environ,
        "MATCHCAST_MODEL_METADATA_PATH": str(files.model),
        "MATCHCAST_MATCHES_PATH": str(files.matches),
        "MATCHCAST_RELOAD_INTERVAL_S": "0.2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    cmd = [
        *(str(MATCHCAST), "serve", "--port", str(port), "--predictions", str(files.predictions)),
        *("--workers", str(workers)),
        "--no-local-worker",  # no jobs here: keep the default store untouched
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: httpx.get(f"{base}/readyz").status_code == 200, 120):
            proc.kill()
            pytest.fail(
                f"server not ready: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
            )
        yield base, served
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_answers_and_picks_up_a_new_file(server: tuple[str, Served]) -> None:
    base, (files, matches, predictions) = server
    match_id = predictions["match_id"].iloc[0]
    with httpx.Client(base_url=base) as client:
        first = client.get(f"/predict/{match_id}")
        assert first.status_code == 200
        assert first.json()["model"]["data_version"] == "data-v1"
        assert client.post("/predict/batch").status_code in {404, 405}
        write_parquet(synthetic_predictions(matches, data_version="data-v2"), files.predictions)
        assert wait_until(
            lambda: client.get(f"/predict/{match_id}").json()["model"]["data_version"] == "data-v2",
            10,
        )
        assert client.get(f"/predict/{match_id}").headers["etag"] != first.headers["etag"]
        metrics = client.get("/metrics").text
        assert 'matchcast_reloads_total{component="predictions"} 2.0' in metrics


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


@pytest.mark.parametrize("server", [2], indirect=True)
def test_two_workers_answer_metrics_with_one_view(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    base, (_, _, predictions) = server
    ids = list(predictions["match_id"].iloc[:8])
    n = 120

    def fetch(i: int) -> int:
        # a new connection each: the two workers take turns accepting them
        return httpx.get(f"{base}/predict/{ids[i % len(ids)]}").status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(fetch, range(n))) == [200] * n
    # Both workers answered some of them (each keeps its counts in its own file) ...
    counting = {path.name for path in (tmp_path / "metrics").glob("counter_*.db")}
    assert len(counting) == 2, counting
    # ... and whichever answers a scrape reports all of them, with the loaded state.
    for _ in range(6):
        text = httpx.get(f"{base}/metrics").text
        served = sum(
            value
            for labels, value in _samples(text, "matchcast_http_requests_total")
            if labels["route"] == "/predict/{match_id}" and labels["status"] == "200"
        )
        assert served == n
        assert _samples(text, "matchcast_predictions_served_total") == [({}, float(n))]
        assert _samples(text, "matchcast_predictions_loaded") == [({}, float(len(predictions)))]
        (info,) = _samples(text, "matchcast_model_info")
        assert info[0]["predictions_data_version"] == "data-v1"
