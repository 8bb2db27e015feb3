"""Prometheus metrics and the pure-ASGI middleware that records every request.

Labels use the route template (``/predict/{match_id}``), never the raw path, so their
number stays bounded. Each app owns its registry (several apps may live in one test run).
With several uvicorn workers each worker answers /metrics with its own counters.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matchcast.app.state import ServingState

UNMATCHED = "<unmatched>"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The API's metrics, registered in a private registry."""

    def __init__(self) -> None:
        """Create every metric in a new registry."""
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "matchcast_http_requests", "HTTP requests.", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "matchcast_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.predictions_served = Counter(
            "matchcast_predictions_served", "Forecasts answered (200 and 304).", registry=r
        )
        self.cache_hits = Counter("matchcast_cache_hits", "Cache hits.", ["cache"], registry=r)
        self.cache_misses = Counter(
            "matchcast_cache_misses", "Cache misses.", ["cache"], registry=r
        )
        self.cache_errors = Counter(
            "matchcast_cache_errors",
            "Failed cache calls (served from memory instead).",
            ["cache"],
            registry=r,
        )
        self.cache_circuit_open = Gauge(
            "matchcast_cache_circuit_open", "1 while the Redis circuit breaker is open.", registry=r
        )
        self.reloads = Counter(
            "matchcast_reloads", "Components reloaded from disk.", ["component"], registry=r
        )
        self.model_info = Info(
            "matchcast_model", "The model behind the served forecasts.", registry=r
        )
        self.predictions_loaded = Gauge(
            "matchcast_predictions_loaded", "Forecasts held in memory.", registry=r
        )
        self.predictions_age = Gauge(
            "matchcast_predictions_age_seconds",
            "Seconds since the served predictions were computed.",
            registry=r,
        )
        self._state: ServingState | None = None
        self.predictions_age.set_function(self._age)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _age(self) -> float:
        state = self._state
        if state is None or state.predictions is None:
            return float("nan")
        return time.time() - state.predictions.computed_at.timestamp()

    def observe_state(self, state: ServingState) -> None:
        """Refresh the gauges that describe the loaded state."""
        self._state = state
        self.predictions_loaded.set(0 if state.predictions is None else len(state.predictions))
        if state.model is not None:
            self.model_info.info(
                {
                    "name": state.model.name,
                    "version": state.model.version,
                    "alias": state.model.alias,
                    "run_id": state.model.run_id,
                    "data_version": state.model.data_version or "",
                    "predictions_data_version": ""
                    if state.predictions is None
                    else state.predictions.data_version,
                }
            )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and record its latency."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = (self.requests.labels(*labels), self.latency.labels(*labels))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class MetricsMiddleware:
    """Pure ASGI middleware: times each HTTP request and labels it by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        """Wrap ``app``."""
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request and record method, route template, status and latency."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", UNMATCHED) if route is not None else UNMATCHED
            self.metrics.observe_request(
                scope["method"], template, status, time.perf_counter() - start
            )
