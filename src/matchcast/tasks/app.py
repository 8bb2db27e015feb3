"""The Celery application: ``celery -A matchcast.tasks.app worker`` or ``matchcast worker``.

Built from ``MATCHCAST_*`` settings when this module is imported (what ``celery -A``
needs); :func:`create_celery_app` builds one from an explicit configuration (the API's
publisher, tests).
"""

from __future__ import annotations

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


def _from_environment() -> Celery:
    config = CeleryConfig.from_settings(get_settings())
    if config is None:
        raise RuntimeError(
            "MATCHCAST_BROKER_URL is not set: there is no Celery broker; "
            "`matchcast worker` runs the local worker instead"
        )
    return create_celery_app(config)


app = _from_environment()
