"""Shared fixtures: paths to the shared archive and real local services.

Integration tests use the real PostgreSQL, Redis and RabbitMQ on this machine. On a
machine without them the tests skip; under CI (``CI=true``) a missing service fails.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from matchcast.data import store

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_ARCHIVE = Path(
    os.environ.get("MATCHCAST_TEST_ARCHIVE", REPO_ROOT.parent / "shared" / "data" / "football-data")
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip the test when a service is absent, or fail under CI where it must be present."""
    if _port_open(host, port):
        return
    message = f"{name} is not answering on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: integration services are mandatory)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_archive() -> Path:
    """The read-only football-data.co.uk archive shipped beside the repository."""
    if not (SHARED_ARCHIVE / "mmz4281").is_dir():
        if IN_CI:
            pytest.fail(f"shared archive missing at {SHARED_ARCHIVE}")
        pytest.skip(f"shared archive missing at {SHARED_ARCHIVE}")
    return SHARED_ARCHIVE


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a real PostgreSQL database (``test`` on this machine)."""
    url = os.environ.get(
        "MATCHCAST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis on this machine."""
    require_service("Redis", "127.0.0.1", 6379)
    return os.environ.get("MATCHCAST_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """URL of the real RabbitMQ on this machine."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    return os.environ.get("MATCHCAST_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture()
def pg_url(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the real server, dropped after the test."""
    name = f"matchcast_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        store.create_engine_for(postgres_url).url, isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
