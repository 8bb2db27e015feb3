"""``matchcast worker``: run jobs — a Celery worker with a broker, the local worker without.

With ``MATCHCAST_BROKER_URL`` set this is ``celery -A matchcast.tasks.app worker`` with the
declared queues (``--queues`` picks some, e.g. a machine for ``matchcast.train`` only);
without it, the local worker polls the SQL store's job table. Both run the same job code
under the same lock.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from matchcast.config import get_settings

logger = logging.getLogger(__name__)


def main(
    concurrency: Annotated[
        int, typer.Option(help="Celery worker processes (jobs on one project run one at a time).")
    ] = 1,
    queues: Annotated[
        str | None,
        typer.Option(help="Comma-separated queues to consume (default: all declared)."),
    ] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "info",
    hostname: Annotated[
        str | None,
        typer.Option(help="Celery node name (default celery@<host>); one per worker host."),
    ] = None,
    parent_pid: Annotated[
        int | None,
        typer.Option(help="Local worker: stop when this process (the server) is gone."),
    ] = None,
) -> None:
    """Run the job worker until stopped (SIGTERM lets the current job finish)."""
    settings = get_settings()
    if not settings.broker_url:
        from matchcast.tasks.local import run_local_worker

        logger.info("no MATCHCAST_BROKER_URL: running the local worker")
        run_local_worker(settings, parent_pid=parent_pid)
        return
    from matchcast.tasks.app import app_from_environment

    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}"]
    if queues:
        argv.append(f"--queues={queues}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    app_from_environment().worker_main(argv)
