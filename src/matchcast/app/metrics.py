"""Prometheus metrics and the pure-ASGI middleware that records every request.

Labels use the route template (``/predict/{match_id}``), never the raw path, so their
number stays bounded. Each app owns its registry (several apps may live in one test run).
With several uvicorn workers, /metrics sums every worker's counters and histograms
(multiprocess mode, :mod:`matchcast.app.metrics_processes`); what describes the loaded
state (model, forecasts held, their age, the reports) is read from the answering worker
at scrape time, since every worker loads the same files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matchcast.app.metrics_processes import WorkersCollector, multiprocess_folder
from matchcast.app.monitoring import DriftSummary, LiveQualityReport, QualityBlock
from matchcast.app.state import ServingState

UNMATCHED = "<unmatched>"
ALL_LEAGUES = "all"  # the league label of the overall live-quality figures
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The API's metrics, registered in a private registry."""

    def __init__(self) -> None:
        """Create every metric in a new registry."""
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # What /metrics answers: this registry, or every worker's files plus this
        # worker's state collectors (multiprocess mode).
        folder = multiprocess_folder()
        self.exposition = r
        if folder is not None:
            self.exposition = CollectorRegistry(auto_describe=True)
            self.exposition.register(WorkersCollector(folder))
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
            "matchcast_cache_circuit_open",
            "1 while the Redis circuit breaker is open (in any live worker).",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.reloads = Counter(
            "matchcast_reloads", "Components reloaded from disk.", ["component"], registry=r
        )
        self.load_failures = Counter(
            "matchcast_load_failures",
            "Files that failed to load (the previous version kept serving).",
            ["component"],
            registry=r,
        )
        self.rate_limited = Counter(
            "matchcast_rate_limited", "Requests refused with 429 (rate limit).", registry=r
        )
        self.rate_limit_errors = Counter(
            "matchcast_rate_limit_errors",
            "Requests let through because the rate limiter's store failed.",
            registry=r,
        )
        self.auth_failures = Counter(
            "matchcast_auth_failures", "Admin requests refused with 401.", registry=r
        )
        self._state: ServingState | None = None
        self.add_collector(StateCollector(lambda: self._state))
        self.add_collector(MonitoringCollector(lambda: self._state))
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def add_collector(self, collector: Collector) -> None:
        """Add a scrape-time collector of this process's state to what /metrics answers."""
        self.registry.register(collector)
        if self.exposition is not self.registry:
            self.exposition.register(collector)

    def observe_state(self, state: ServingState) -> None:
        """Describe ``state`` from now on (model, forecasts held, their age, reports)."""
        self._state = state

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


class StateCollector(Collector):
    """The served model, the number of forecasts held and their age, read at scrape time."""

    def __init__(self, state: Callable[[], ServingState | None]) -> None:
        """Read the current state through ``state()``."""
        self._state = state

    def describe(self) -> Iterator[Metric]:
        """The metric names, for the registry's duplicate check (no samples)."""
        yield from self._families(None)

    def collect(self) -> Iterator[Metric]:
        """One sample each for the loaded state; the model info only once one is loaded."""
        yield from self._families(self._state())

    def _families(self, state: ServingState | None) -> Iterator[Metric]:
        info = InfoMetricFamily("matchcast_model", "The model behind the served forecasts.")
        loaded = GaugeMetricFamily("matchcast_predictions_loaded", "Forecasts held in memory.")
        age = GaugeMetricFamily(
            "matchcast_predictions_age_seconds",
            "Seconds since the served predictions were computed.",
        )
        if state is not None:
            predictions = state.predictions
            loaded.add_metric([], 0 if predictions is None else len(predictions))
            age.add_metric(
                [],
                float("nan")
                if predictions is None
                else time.time() - predictions.computed_at.timestamp(),
            )
            if state.model is not None:
                info.add_metric(
                    [],
                    {
                        "name": state.model.name,
                        "version": state.model.version,
                        "alias": state.model.alias,
                        "run_id": state.model.run_id,
                        "data_version": state.model.data_version or "",
                        "predictions_data_version": ""
                        if predictions is None
                        else predictions.data_version,
                    },
                )
        yield from (info, loaded, age)


class MonitoringCollector(Collector):
    """Gauges of the monitor stage's reports, read from the loaded state at scrape time.

    Built per scrape from one state object, so a reload never leaves a mix of old and new
    label sets (a league that left the report disappears from the gauges with it).
    """

    SCORES = ("log_loss", "rps", "ece", "hit_rate")

    def __init__(self, state: Callable[[], ServingState | None]) -> None:
        """Read the current state through ``state()``."""
        self._state = state

    def describe(self) -> Iterator[Metric]:
        """The metric names, for the registry's duplicate check (no samples)."""
        yield from self._families(None, None)

    def collect(self) -> Iterator[Metric]:
        """One sample per league and source of the loaded live-quality report and drift."""
        state = self._state()
        yield from self._families(
            None if state is None else state.live_quality, None if state is None else state.drift
        )

    def _families(
        self, live: LiveQualityReport | None, drift: DriftSummary | None
    ) -> Iterator[Metric]:
        scores = {
            name: GaugeMetricFamily(
                f"matchcast_live_{name}",
                f"Live {name.replace('_', ' ')} of the logged forecasts on finished matches "
                "(monitor stage); league='all' is the overall figure.",
                labels=["league", "source"],
            )
            for name in self.SCORES
        }
        scored = GaugeMetricFamily(
            "matchcast_live_scored_matches",
            "Finished matches scored: source='model' all of them, source='market' those "
            "with market odds.",
            labels=["league", "source"],
        )
        gaps = {
            name: GaugeMetricFamily(
                f"matchcast_live_{name}_gap",
                f"Model minus market live {name.replace('_', ' ')} on the same matches "
                "(positive: the model is worse).",
                labels=["league"],
            )
            for name in ("log_loss", "rps")
        }
        live_time = GaugeMetricFamily(
            "matchcast_live_quality_generated_timestamp_seconds",
            "When the served live-quality report was computed (Unix time).",
        )
        over = GaugeMetricFamily(
            "matchcast_drift_features_over_threshold",
            "Features whose drift passes the monitor stage's thresholds.",
        )
        checked = GaugeMetricFamily(
            "matchcast_drift_features_checked", "Features the drift report could test."
        )
        max_psi = GaugeMetricFamily(
            "matchcast_drift_max_psi", "Largest population stability index over the features."
        )
        prediction_psi = GaugeMetricFamily(
            "matchcast_prediction_drift_psi",
            "Population stability index of the predicted probabilities against the "
            "model's out-of-sample forecasts.",
            labels=["outcome"],
        )
        drift_time = GaugeMetricFamily(
            "matchcast_drift_generated_timestamp_seconds",
            "When the served drift report was computed (Unix time).",
        )
        if live is not None:
            blocks: list[tuple[str, QualityBlock]] = [(ALL_LEAGUES, live.overall)]
            blocks += [(group.league, group) for group in live.by_league]
            for league, block in blocks:
                scored.add_metric([league, "model"], block.n)
                scored.add_metric([league, "market"], block.n_market)
                for source, values in (("model", block.model), ("market", block.market)):
                    for name in self.SCORES if values is not None else ():
                        value = getattr(values, name)
                        if value is not None:
                            scores[name].add_metric([league, source], value)
                for name, gap in (("log_loss", block.gap_log_loss), ("rps", block.gap_rps)):
                    if gap is not None:
                        gaps[name].add_metric([league], gap)
            live_time.add_metric([], live.generated_at.timestamp())
        if drift is not None:
            over.add_metric([], drift.summary.features_over_threshold)
            checked.add_metric([], drift.summary.features_checked)
            if drift.summary.max_psi is not None:
                max_psi.add_metric([], drift.summary.max_psi)
            for column in drift.prediction.columns:
                if column.psi is not None:
                    prediction_psi.add_metric([column.feature.removeprefix("p_")], column.psi)
            if drift.generated_at is not None:
                drift_time.add_metric([], drift.generated_at.timestamp())
        yield from scores.values()
        yield scored
        yield from gaps.values()
        yield from (live_time, over, checked, max_psi, prediction_psi, drift_time)
