"""Schemathesis with every check against a served API process, with and without the key.

Runs the CLI (``st run --checks all``: examples, coverage, fuzzing and stateful phases)
against ``/openapi.json`` of a real ``matchcast serve``; any failing check fails the test
with schemathesis's own report. Before the fixes it found: ``date_to=0`` accepted, an
unenforced If-None-Match length, an undocumented 400, a valid as_of range refused and a
wrong ``Allow`` on OPTIONS.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.security.conftest import Served

pytestmark = [pytest.mark.security, pytest.mark.e2e, pytest.mark.slow]

ST = Path(sys.executable).with_name("st")
MAX_EXAMPLES = 30


@pytest.mark.parametrize("with_key", [True, False], ids=["with-key", "without-key"])
def test_every_schemathesis_check_passes(
    serve_process: Served, with_key: bool, tmp_path: Path
) -> None:
    command = [
        str(ST),
        "run",
        f"{serve_process.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20261203",
        "--no-color",
    ]
    if with_key:
        command += ["--header", f"X-API-Key: {serve_process.key}"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    assert " passed" in report and "failure" not in report.lower(), report[-6000:]
