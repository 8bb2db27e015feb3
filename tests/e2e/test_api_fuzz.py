"""Property-based fuzzing of the API against its own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, valid and invalid; no answer
may be a 5xx, and every answer must match the documented status codes, content types and
response schemas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import Runtime, ServeConfig
from matchcast.tasks.client import JobsConfig

pytestmark = pytest.mark.e2e
MAX_EXAMPLES = 60

API_KEY = "test-key-0123456789"


@pytest.fixture(scope="module")
def loaded_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("fuzz")
    files, _, _ = write_serving_files(folder)
    jobs = JobsConfig(f"sqlite:///{folder / 'store.db'}")  # no broker: jobs are only recorded
    app = create_app(ServeConfig(files=files, reload_interval_s=0, api_key=API_KEY, jobs=jobs))
    runtime: Runtime = app.state.runtime
    runtime.holder.refresh()  # the ASGI transport does not run the lifespan
    runtime.metrics.observe_state(runtime.holder.state)
    return app


@pytest.fixture(scope="module")
def operations(loaded_app: FastAPI) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", loaded_app)
    return {op.label: op for op in (r.ok() for r in schema.get_all_operations())}


def test_schema_lists_every_operation(operations: dict[str, Any]) -> None:
    assert set(operations) == {
        "GET /predict/{match_id}",
        "GET /matches",
        "GET /model",
        "GET /model/live-quality",
        "GET /model/evaluation",
        "GET /leagues",
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "POST /admin/reload",
        "POST /admin/jobs/{job}",
        "GET /admin/jobs/{job}",
        "GET /",
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(
    "label",
    [
        "GET /predict/{match_id}",
        "GET /matches",
        "POST /admin/reload",
        "POST /admin/jobs/{job}",
        "GET /admin/jobs/{job}",
    ],
)
def test_fuzzed_requests_get_no_5xx_and_documented_answers(
    operations: dict[str, Any], label: str, mode: GenerationMode
) -> None:
    operation = operations[label]
    checks = [not_a_server_error]
    if mode is GenerationMode.POSITIVE:
        checks += [status_code_conformance, content_type_conformance, response_schema_conformance]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(checks=checks)

    run()


@pytest.mark.parametrize(
    "label",
    ["GET /model", "GET /model/live-quality", "GET /healthz", "GET /readyz", "GET /metrics"],
)
def test_parameterless_operations_conform(operations: dict[str, Any], label: str) -> None:
    case = operations[label].Case()
    case.call_and_validate(
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
    )


def test_fixture_files_exist(loaded_app: FastAPI) -> None:
    runtime: Runtime = loaded_app.state.runtime
    assert runtime.holder.state.not_ready_reason is None
    assert Path(runtime.config.files.predictions).exists()
