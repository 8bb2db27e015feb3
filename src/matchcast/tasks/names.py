"""Job names, their Celery task names and queues: all the API needs to enqueue by name."""

from __future__ import annotations

JOB_NAMES: tuple[str, ...] = ("refresh_data", "batch_inference", "retrain")
DATA_QUEUE = "data"  # quick jobs: refresh data, forecast
TRAIN_QUEUE = "train"  # long jobs: retrain; a worker can take only this queue
JOB_QUEUES: dict[str, str] = {
    "refresh_data": DATA_QUEUE,
    "batch_inference": DATA_QUEUE,
    "retrain": TRAIN_QUEUE,
}


def task_name(job: str) -> str:
    """The registered Celery task name of a job."""
    return f"matchcast.{job}"


def queue_name(prefix: str, queue: str) -> str:
    """A queue's full name, e.g. ``matchcast.data``."""
    return f"{prefix}.{queue}"
