"""Chaos on the reference cluster (issue 15, ADR-0021): a replica, a forwarder or a service
fails under load and no client request through the load balancer fails.

Each test is bounded (a few seconds of load from 4 clients) and brings back what it broke.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from tests.cluster.harness import Cluster, Load
from tests.integration.test_jobs_worker import assert_whole, leftovers, output_state

pytestmark = pytest.mark.cluster


def test_killing_a_replica_under_load_fails_no_request(cluster: Cluster) -> None:
    # Both replicas must be in rotation first: a replica the balancer still counts down
    # cannot take over (a quiet CI run killed api-1 before api-2 was UP: 159 answers 503).
    cluster.wait_until_balanced()
    with Load(cluster) as load:
        time.sleep(1.5)
        cluster.ctl("kill", "api-1")  # SIGKILL: requests in flight on api-1 are cut
        time.sleep(3.0)
    killed = load.result
    try:
        assert killed.total > 100
        assert killed.failed == 0, (killed.statuses, killed.errors[:5])
        assert cluster.serving_version("api-1") is None  # it really was down
    finally:
        cluster.ctl("start", "api-1")
        cluster.wait_until_ready("api-1")
        cluster.wait_until_balanced()


def test_a_new_batch_under_load_reaches_both_replicas_within_five_seconds(
    cluster: Cluster,
) -> None:
    with Load(cluster) as load:
        time.sleep(1.0)
        cluster.publish("2")
        took = cluster.wait_until_serving("2", timeout_s=5.0)
        time.sleep(1.0)
    assert took < 5.0
    assert load.result.total > 50
    assert load.result.failed == 0, (load.result.statuses, load.result.errors[:5])


def test_serving_continues_while_redis_is_down(cluster: Cluster) -> None:
    cluster.ctl("stop", "forward-redis")  # Redis unreachable from every host
    try:
        with Load(cluster) as load:
            time.sleep(3.0)
        assert load.result.total > 50
        assert load.result.failed == 0, (load.result.statuses, load.result.errors[:5])
        for replica in cluster.replicas.values():
            assert httpx.get(f"{replica}/readyz", timeout=2.0).status_code == 200
    finally:
        cluster.ctl("start", "forward-redis")


def test_replicas_recover_from_a_store_outage_and_load_what_was_published_meanwhile(
    cluster: Cluster,
) -> None:
    # The shared PostgreSQL server is not restarted (other work uses it): the forwarder
    # every host reaches it through is, which cuts each replica's connections the same way.
    before = {r: cluster.serving_version(r) for r in cluster.replicas}
    cluster.ctl("stop", "forward-postgres")
    try:
        with Load(cluster) as load:
            time.sleep(1.0)
            cluster.publish("3")  # straight to the server: the replicas cannot see it yet
            time.sleep(2.0)
            assert {r: cluster.serving_version(r) for r in cluster.replicas} == before
        assert load.result.failed == 0, (load.result.statuses, load.result.errors[:5])
    finally:
        cluster.ctl("start", "forward-postgres")
    # the followers reconnect (backoff ≤ 5 s) and LISTEN again; the first sync finds batch 3
    cluster.wait_until_serving("3", timeout_s=15.0)
    for replica in cluster.replicas.values():
        checks = httpx.get(f"{replica}/readyz", timeout=2.0).json()["checks"]
        assert checks["job_store"]["ok"], checks


def test_a_worker_killed_mid_job_is_replaced_by_the_other_host(cluster: Cluster) -> None:
    # worker-1 takes the data queue, worker-2 the train and data queues: the job lands on
    # either; whichever runs it is SIGKILLed and RabbitMQ redelivers it to the other.
    headers = {"X-API-Key": cluster.settings["MATCHCAST_API_KEY"]}
    project = Path(cluster.settings["MATCHCAST_PROJECT_DIR"])
    with httpx.Client(base_url=cluster.lb, headers=headers, timeout=10.0) as client:
        answer = client.post("/admin/jobs/refresh_data", json={"as_of": "2025-10-01"})
        assert answer.status_code == 202, answer.text
        job_id, url = answer.json()["job_id"], answer.json()["status_url"]
        cluster.poll_job(client, url, lambda b: b["state"] == "running", 120)
        first = cluster.worker_of(job_id)
        time.sleep(1.0)  # inside the job's stages
        cluster.ctl("kill", first)
        try:
            done = cluster.poll_job(client, url, lambda b: b["state"] == "succeeded", 180)
        finally:
            cluster.ctl("start", first)
    assert done["attempts"] >= 2, done  # redelivered
    assert cluster.worker_of(job_id) != first  # and finished on the other host
    for name in output_state(project):
        assert_whole(project / name)
    assert leftovers(project) == []
