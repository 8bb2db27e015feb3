"""The reference cluster for the chaos tests: brought up once, torn down after the last test.

Collected only by ``make cluster-test`` (``MATCHCAST_CLUSTER_TESTS=1``): it needs root
(``ip netns``), HAProxy and socat, and takes a few minutes. It runs on its own database,
queue prefix and state folder, and ``deploy/cluster/down.sh`` removes all of it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cluster.harness import Cluster
from tests.conftest import IN_CI, REPO_ROOT, require_service
from tests.integration.test_jobs_worker import make_project

DEPLOY = REPO_ROOT / "deploy" / "cluster"

if os.environ.get("MATCHCAST_CLUSTER_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory, shared_archive: Path) -> Iterator[Cluster]:
    """A running cluster serving a first forecast batch (model version 1); its workers run
    jobs in a scratch DVC project (one division, two seasons of the shared archive)."""
    missing = [tool for tool in ("ip", "haproxy", "socat") if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing:
        why = f"the cluster needs root and {', '.join(missing) or 'ip netns'}"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    for name, port in (("PostgreSQL", 5432), ("Redis", 6379), ("RabbitMQ", 5672)):
        require_service(name, "127.0.0.1", port)
    env = {
        **os.environ,
        "CLUSTER_DIR": str(Path("/tmp") / "matchcast-cluster-test"),
        "CLUSTER_NET": "10.232.0",
        "CLUSTER_DB": "matchcast_cluster_test",
        "CLUSTER_QUEUES": "mcclustertest",
        "CLUSTER_PURGE": "true",
        "CLUSTER_PROJECT_DIR": str(make_project(tmp_path_factory.mktemp("jobs"), shared_archive)),
        "MATCHCAST_FOOTBALL_DATA": str(shared_archive),
        "MATCHCAST_JOB_LOCK_TTL_S": "5",
        "MATCHCAST_JOB_RETRY_BACKOFF_S": "1",
        "MATCHCAST_JOB_RETRY_BACKOFF_MAX_S": "2",
    }
    subprocess.run([DEPLOY / "down.sh"], env=env, check=True, capture_output=True)
    subprocess.run([DEPLOY / "up.sh"], env=env, check=True, timeout=180)
    cluster = Cluster(DEPLOY, env, tmp_path_factory.mktemp("batches"))
    try:
        cluster.publish("1")
        cluster.wait_until_serving("1", timeout_s=60)
        cluster.wait_until_balanced()
        yield cluster
    finally:
        subprocess.run([DEPLOY / "down.sh"], env=env, check=False, timeout=120)
