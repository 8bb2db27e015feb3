"""The Celery application: ``celery -A matchcast.tasks.app worker`` or ``matchcast worker``.

The attribute ``app`` (what ``celery -A`` reads) is built from ``MATCHCAST_*`` settings on
first access, not at import; :func:`create_celery_app` builds one from an explicit
configuration (the API's publisher, tests).
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from matchcast.config import get_settings
from matchcast.tasks.celery_config import CeleryConfig, celery_settings

TASK_MODULES = ["matchcast.tasks.celery_tasks"]


def create_celery_app(config: CeleryConfig, with_tasks: bool = True) -> Celery:
    """A Celery app for ``config``.

    Args:
        config: Broker, result backend, queue prefix.
        with_tasks: Register the job tasks (workers); a publisher sends by name only.
    """
    celery = Celery("matchcast", include=TASK_MODULES if with_tasks else [])
    celery.conf.update(celery_settings(config))
    return celery


@lru_cache(maxsize=1)
def app_from_environment() -> Celery:
    """The app of ``MATCHCAST_*`` settings (built once, on first use)."""
    config = CeleryConfig.from_settings(get_settings())
    if config is None:
        raise RuntimeError(
            "MATCHCAST_BROKER_URL is not set: there is no Celery broker; "
            "`matchcast worker` runs the local worker instead"
        )
    return create_celery_app(config)


def __getattr__(name: str) -> Celery:
    # ``celery -A matchcast.tasks.app`` reads the attribute ``app``: build it only then.
    if name == "app":
        return app_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
