"""One readiness state: named checks, each answering ok or not with a reason.

``/readyz`` evaluates every registered check and answers 200 only when all pass; the
answer lists each check with its reason. A check is a plain function returning
:class:`CheckResult`. Cheap checks (reading the loaded state) run on the event loop; a
check that does I/O (a database round trip) is registered with ``blocking=True`` and
runs in a thread, bounded by ``timeout_s`` and remembered for ``max_age_s`` so a burst
of probes costs one round trip.

Other components plug in with ``runtime.readiness.register(name, check, ...)`` (see
:func:`register_serving_checks` for the built-in ones).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from matchcast.app.state import MATCHES, MODEL, PREDICTIONS, StateHolder
from matchcast.tasks.client import JobClient
from matchcast.tasks.liveness import job_worker_liveness

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    """The answer of one check: ``ok``, and why not when it is not (a passing check may
    carry a reason too: a degradation that does not stop serving)."""

    ok: bool
    reason: str | None = None

    @classmethod
    def passed(cls) -> CheckResult:
        """A passing check."""
        return cls(True)

    @classmethod
    def failed(cls, reason: str) -> CheckResult:
        """A failing check with its reason."""
        return cls(False, reason)


Check = Callable[[], CheckResult]
# A live batch older than this is stale: the daily run missed a day and a half. The alert
# MatchcastPredictionsStale in deploy/prometheus/alerts.yml uses the same bound.
BATCH_MAX_AGE_S = 36 * 3600
CORE_COMPONENTS = frozenset({PREDICTIONS, MODEL, MATCHES})


@dataclass
class _Registered:
    check: Check
    blocking: bool
    timeout_s: float
    max_age_s: float
    last: CheckResult | None = None
    last_at: float = 0.0


@dataclass(frozen=True)
class ReadinessReport:
    """Every check's result, in registration order."""

    results: dict[str, CheckResult]

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return all(result.ok for result in self.results.values())

    @property
    def reason(self) -> str | None:
        """The failing checks' reasons joined, or None when ready."""
        reasons = [f"{name}: {r.reason}" for name, r in self.results.items() if not r.ok]
        return "; ".join(reasons) or None


class ReadinessChecks:
    """The registry of named readiness checks of one API process."""

    def __init__(self) -> None:
        """Start with no checks (ready)."""
        self._checks: dict[str, _Registered] = {}

    def register(
        self,
        name: str,
        check: Check,
        *,
        blocking: bool = False,
        timeout_s: float = 2.0,
        max_age_s: float = 0.0,
    ) -> None:
        """Add (or replace) the check called ``name``.

        Args:
            name: Shown in ``/readyz`` (``checks.<name>``) and in the joined reason.
            check: Returns a :class:`CheckResult`; an exception counts as a failure.
            blocking: The check does I/O: run it in a thread, bounded by ``timeout_s``.
            timeout_s: A blocking check that takes longer fails with "timed out".
            max_age_s: Reuse the last result for this long (blocking checks only).
        """
        self._checks[name] = _Registered(check, blocking, timeout_s, max_age_s)

    @property
    def names(self) -> list[str]:
        """The registered checks' names."""
        return list(self._checks)

    async def evaluate(self, only: list[str] | None = None) -> ReadinessReport:
        """Run every check, or those named in ``only`` (blocking ones concurrently in
        threads), and collect the results."""
        names = [name for name in self._checks if only is None or name in only]
        results = await asyncio.gather(*(self._run(name, self._checks[name]) for name in names))
        return ReadinessReport(dict(zip(names, results, strict=True)))

    async def _run(self, name: str, entry: _Registered) -> CheckResult:
        if not entry.blocking:
            return _safe(name, entry.check)
        now = time.monotonic()
        if entry.last is not None and now - entry.last_at < entry.max_age_s:
            return entry.last
        try:
            result = await asyncio.wait_for(
                asyncio.to_thread(_safe, name, entry.check), entry.timeout_s
            )
        except TimeoutError:
            result = CheckResult.failed(f"timed out after {entry.timeout_s:g} s")
        entry.last, entry.last_at = result, time.monotonic()
        return result


def _safe(name: str, check: Check) -> CheckResult:
    try:
        return check()
    except Exception as error:  # a broken check says so; it never breaks /readyz
        logger.warning("readiness check %s failed: %s", name, error)
        return CheckResult.failed(f"{type(error).__name__}: {error}")


def serving_state_check(holder: StateHolder) -> Check:
    """Ready when forecasts and model metadata are loaded and the last load of every core
    file (predictions, model metadata, match table) succeeded.

    A failed reload keeps the previous version and fails the check, naming the file. A
    failed load of an optional report (finished matches, evaluation, live quality, drift)
    passes with the failure as the reason: forecasts are still served correctly.
    """

    def check() -> CheckResult:
        state = holder.state
        missing = state.not_ready_reason
        absent = {PREDICTIONS: state.predictions is None, MODEL: state.model is None}
        core: list[str] = []
        optional: list[str] = []
        for name, error in sorted(state.errors.items()):
            if absent.get(name, False):
                continue  # already in `missing`: "<name> not loaded: <error>"
            line = f"{name} failed to load ({error}); serving the previous version"
            (core if name in CORE_COMPONENTS else optional).append(line)
        failing = ([missing] if missing else []) + core
        if failing:
            return CheckResult.failed("; ".join(failing + optional))
        return CheckResult(True, "; ".join(optional) or None)

    return check


def job_store_check(jobs: JobClient) -> Check:
    """Ready when the job store answers a trivial query."""

    def check() -> CheckResult:
        with jobs.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return CheckResult.passed()

    return check


def batch_age_check(holder: StateHolder, max_age_s: float) -> Check:
    """In live mode, ready while the served batch is younger than ``max_age_s``.

    The answer always names the batch's age; a replay (a frozen archive, ADR-0013) is never
    stale by the clock, so only live batches fail when they are too old.
    """

    def check() -> CheckResult:
        state = holder.state
        if state.predictions is None:
            return CheckResult(True, "no batch loaded yet (see the serving check)")
        age_s = time.time() - state.predictions.computed_at.timestamp()
        run = None if state.model is None else state.model.as_of
        mode = "unknown mode" if run is None else f"{run.mode} as of {run.as_of}"
        reason = f"batch computed {age_s / 3600:.1f} h ago ({mode})"
        if run is not None and run.mode == "live" and age_s > max_age_s:
            return CheckResult.failed(f"{reason}: older than {max_age_s / 3600:g} h")
        return CheckResult(True, reason)

    return check


def job_worker_check(jobs: JobClient) -> Check:
    """Ready while the supervised local job worker beats its heartbeat in the store."""

    def check() -> CheckResult:
        state = job_worker_liveness(jobs.engine)
        return CheckResult(state.alive, None if state.alive else state.reason)

    return check


def register_serving_checks(
    checks: ReadinessChecks, holder: StateHolder, jobs: JobClient | None
) -> None:
    """Register the API's own checks: the served files and, with jobs, the job store, and
    the local job worker when one is supervised beside the API."""
    checks.register("serving", serving_state_check(holder))
    checks.register("batch_age", batch_age_check(holder, BATCH_MAX_AGE_S))
    if jobs is not None:
        checks.register("job_store", job_store_check(jobs), blocking=True, max_age_s=1.0)
    if jobs is not None and jobs.config.local_worker_expected:
        checks.register("job_worker", job_worker_check(jobs), blocking=True, max_age_s=1.0)
