"""``/admin/jobs``: submit an operational job and poll its status; the API never runs one.

``POST /admin/jobs/{name}`` records the job and queues it (Celery with a broker, else the
local worker's queue in the SQL store) and answers 202 with a status URL;
``GET /admin/jobs/{job_id}`` reads the job's record (one path template, ``{job}``).
"""

from __future__ import annotations

from typing import Annotated, Any

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Body, HTTPException, Path, Request, status
from fastapi.responses import JSONResponse

from matchcast.app.auth import RequireKey
from matchcast.app.deps import RuntimeDep
from matchcast.app.routes.admin import UNAUTHORIZED
from matchcast.app.schemas import ErrorDetail, JobAccepted, JobRequest, JobStatus
from matchcast.data.store.jobs import JobRecord
from matchcast.tasks.client import JobClient, QueueUnavailable, StoreUnavailable
from matchcast.tasks.names import JOB_NAMES

router = APIRouter(prefix="/admin/jobs", tags=["jobs"], dependencies=[RequireKey])

_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorDetail,
        "description": "Jobs are not configured, the job store cannot be reached, or the "
        "broker did not take the job.",
    }
}


def _client(runtime: RuntimeDep) -> JobClient:
    if runtime.jobs is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "jobs are not configured for this API"
        )
    return runtime.jobs


def _status(record: JobRecord) -> JobStatus:
    return JobStatus(
        job_id=record.job_id,
        name=record.name,
        state=record.state,
        params={key: str(value) for key, value in record.params.items()},
        submitted_at=record.submitted_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        attempts=record.attempts,
        result=record.result,
        error=record.error,
        request_id=record.request_id,
    )


# POST and GET share one path (`/admin/jobs/{job}`): a job name to submit, a job id to
# read. One template keeps the schema's paths equal to the server's (OPTIONS, 405 Allow).
@router.post(
    "/{job}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    summary="Queue a job: refresh_data, batch_inference or retrain",
    responses={
        **UNAUTHORIZED,
        404: {"model": ErrorDetail, "description": "Unknown job name (the known ones listed)."},
        413: {"model": ErrorDetail, "description": "The body is larger than the limit."},
        **_UNAVAILABLE,
    },
)
def submit_job(
    request: Request,
    runtime: RuntimeDep,
    job: Annotated[str, Path(description="Job name.", max_length=64)],
    body: Annotated[JobRequest | None, Body()] = None,
) -> JSONResponse:
    """Record the job and queue it; a worker process runs it. Poll ``status_url``."""
    name = job
    if name not in JOB_NAMES:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown job {name!r}; known jobs: {', '.join(JOB_NAMES)}"
        )
    as_of = None if body is None else body.as_of
    params = {} if as_of is None else {"as_of": as_of.isoformat()}
    try:
        record = _client(runtime).submit(name, params, request_id=correlation_id.get())
    except (QueueUnavailable, StoreUnavailable) as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    url = request.app.url_path_for("get_job", job=record.job_id)
    answer = JobAccepted(job_id=record.job_id, name=name, state="queued", status_url=str(url))
    return JSONResponse(
        answer.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": str(url)},
    )


@router.get(
    "/{job}",
    name="get_job",
    response_model=JobStatus,
    summary="A job's state, timestamps, attempts, and result or error",
    responses={
        **UNAUTHORIZED,
        404: {"model": ErrorDetail, "description": "No job with this id."},
        **_UNAVAILABLE,
    },
)
def get_job(
    runtime: RuntimeDep,
    job: Annotated[str, Path(description="Job id from the POST answer.", max_length=64)],
) -> JobStatus:
    """Read the job's record (written by the worker as it runs)."""
    job_id = job
    try:
        record = _client(runtime).get(job_id)
    except StoreUnavailable as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job with id {job_id!r}")
    return _status(record)
