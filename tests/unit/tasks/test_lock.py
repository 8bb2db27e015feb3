"""The project lock (file flavour here; the Redis flavour runs in tests/integration)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matchcast.tasks.errors import LockHeld
from matchcast.tasks.lock import HOLDER_FILE, project_lock

HOLDER = {"job": "refresh_data", "job_id": "j-1", "worker": "host:1", "since": "2026-01-01"}


TRY_LOCK = """
import sys
from pathlib import Path
from matchcast.tasks.errors import LockHeld
from matchcast.tasks.lock import project_lock
try:
    with project_lock(Path(sys.argv[1]), {"job": "other"}, None):
        print("acquired")
except LockHeld as error:
    print(f"held: {error}")
"""


def _try_lock(project: Path) -> str:
    """Try the lock from another process; return what it saw."""
    done = subprocess.run(
        [sys.executable, "-c", TRY_LOCK, str(project)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_second_process_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    with project_lock(tmp_path, HOLDER, None):
        assert (tmp_path / HOLDER_FILE).is_file()
        answer = _try_lock(tmp_path)
    assert answer.startswith("held: project")
    assert "job refresh_data j-1 on host:1" in answer
    assert not (tmp_path / HOLDER_FILE).exists()
    assert _try_lock(tmp_path) == "acquired"


def test_the_lock_is_released_when_the_job_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), project_lock(tmp_path, HOLDER, None):
        raise RuntimeError("boom")
    with project_lock(tmp_path, HOLDER, None):
        pass


def test_nested_acquisition_in_one_process_is_refused_too(tmp_path: Path) -> None:
    with (
        project_lock(tmp_path, HOLDER, None),
        pytest.raises(LockHeld) as caught,
        project_lock(tmp_path, {"job": "x"}, None),
    ):
        pass
    assert caught.value.holder["job_id"] == "j-1"
