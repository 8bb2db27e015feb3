"""Transient or permanent: what the job retries and what it fails at once."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy.exc

from matchcast.tasks.errors import LockHeld, WorkflowError, transient_reason


def dvc_failure(tail: str) -> WorkflowError:
    return WorkflowError(f"dvc repro --single-item ingest failed (255):\n{tail}")


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (
            "ERROR: Unable to acquire lock. Most likely another DVC process is running",
            "DVC lock contention",
        ),
        (
            "matchcast.data.sources.fetch.FetchError: could not fetch "
            "https://www.football-data.co.uk/mmz4281/2526/E0.csv: Server error '503 Service "
            "Unavailable' for url",
            "source unavailable",
        ),
        (
            "FetchError: could not fetch http://127.0.0.1:9/fixtures.csv: [Errno 111] "
            "Connection refused",
            "source unavailable",
        ),
        (
            "FetchError: could not fetch http://mirror/x.csv: Client error '429 Too Many "
            "Requests' for url",
            "source unavailable",
        ),
        (
            "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection failed: "
            'connection to server at "127.0.0.1", port 5432 failed',
            "database unavailable",
        ),
        ("sqlite3.OperationalError) database is locked", "database unavailable"),
    ],
)
def test_failures_that_may_pass_are_transient(tail: str, reason: str) -> None:
    assert transient_reason(dvc_failure(tail)) == reason


@pytest.mark.parametrize(
    "tail",
    [
        "matchcast.data.validation.GateError: E0.csv: 3.2% bad rows > 0.5%",
        "FetchError: could not fetch http://mirror/x.csv: Client error '403 Forbidden' for url",
        "FetchError: could not fetch /data/mmz4281/2526/E0.csv: [Errno 2] No such file",
        "ERROR: failed to reproduce 'ingest': KeyError: 'leagues'",
    ],
)
def test_data_gate_and_configuration_errors_are_permanent(tail: str) -> None:
    assert transient_reason(dvc_failure(tail)) is None


def test_in_process_errors_are_classified_by_type() -> None:
    assert transient_reason(httpx.ConnectError("refused")) == "API unreachable"
    assert (
        transient_reason(sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("gone")))
        == "database unavailable"
    )
    assert transient_reason(LockHeld("busy")) == "project locked by another job"
    assert transient_reason(ValueError("bad as_of")) is None
    assert transient_reason(WorkflowError("step 'x' needs stage(s) ['monitor']")) is None
