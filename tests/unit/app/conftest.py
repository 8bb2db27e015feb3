"""Fixtures of the API tests: synthetic serving files and a running app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.app.state import ServingFiles

API_KEY = "test-key-0123456789"


@pytest.fixture
def served(tmp_path: Path) -> tuple[ServingFiles, pd.DataFrame, pd.DataFrame]:
    """Serving files on disk (files, matches, predictions); two scheduled matches lack one."""
    return write_serving_files(tmp_path)


@pytest.fixture
def client(served: tuple[ServingFiles, pd.DataFrame, pd.DataFrame]) -> Iterator[TestClient]:
    """A started app over the synthetic files, watching them every 0.1 s."""
    config = ServeConfig(files=served[0], reload_interval_s=0.1, api_key=API_KEY)
    with TestClient(create_app(config)) as test_client:
        yield test_client
