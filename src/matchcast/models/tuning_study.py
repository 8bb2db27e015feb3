"""Where a tuning study lives and which processes run its trials.

One worker runs the trials of an in-memory study, in this process. Several workers share
one study through its storage: the SQL database named by ``MATCHCAST_OPTUNA_STORAGE``
(PostgreSQL in production, so trials may also come from other hosts) or, when none is
named, an Optuna journal file in the run's scratch folder. Worker 0 is this process; the
others are spawned processes that open the same study and ask it for trials until the
trial budget or the deadline is spent. Each worker's sampler has its own seed, so they
propose different settings; with more than one worker the order in which trials finish,
and so the search, depends on timing.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.trial import TrialState
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

WORKER_ATTR = "worker"
PID_ATTR = "pid"


@dataclass(frozen=True)
class StudySpec:
    """What every worker needs to open the same study (picklable).

    Attributes:
        name: the study's name in its storage.
        seed: seed of worker 0's sampler; worker ``i`` uses ``seed + i``.
        n_trials: trials over all workers (a worker stops once the study holds this many).
        deadline: Unix time after which no worker starts a trial.
        storage_url: SQLAlchemy URL of a shared database, or None.
        journal_path: journal file shared by local workers when no database is named.
    """

    name: str
    seed: int
    n_trials: int
    deadline: float
    storage_url: str | None = None
    journal_path: str | None = None

    def storage(self) -> BaseStorage | None:
        """The study's storage; None means in memory (one worker only)."""
        if self.storage_url is not None:
            return RDBStorage(self.storage_url, engine_kwargs={"pool_pre_ping": True})
        if self.journal_path is not None:
            return JournalStorage(JournalFileBackend(self.journal_path))
        return None

    def described(self) -> str:
        """Where the study lives, for reports (a database URL without its password)."""
        if self.storage_url is not None:
            return make_url(self.storage_url).render_as_string(hide_password=True)
        return "journal file" if self.journal_path is not None else "memory"


def _sampler(seed: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)


def _pruner() -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)


def create_study(spec: StudySpec, first_trial: dict[str, Any]) -> optuna.Study:
    """Create the study (a new name each run) with ``first_trial`` queued as trial 0."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=spec.name,
        storage=spec.storage(),
        direction="minimize",
        sampler=_sampler(spec.seed),
        pruner=_pruner(),
    )
    study.enqueue_trial(first_trial)
    return study


def run_trials(
    spec: StudySpec,
    objective: Callable[[optuna.Trial], float],
    worker: int = 0,
    study: optuna.Study | None = None,
) -> int:
    """Run trials of the study as worker ``worker`` until the budget is spent.

    Args:
        spec: the study (it must exist).
        objective: the loss of one trial's settings.
        worker: this worker's index (its sampler's seed offset, recorded on each trial).
        study: the study object when this process created it (an in-memory study can
            only be run by its creator); otherwise it is opened from ``spec``.

    Returns:
        The number of trials this worker ran.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if study is None:
        storage = spec.storage()
        if storage is None:
            raise ValueError("an in-memory study runs only in the process that created it")
        study = optuna.load_study(
            study_name=spec.name,
            storage=storage,
            sampler=_sampler(spec.seed + worker),
            pruner=_pruner(),
        )
    ran = 0

    def tagged(trial: optuna.Trial) -> float:
        nonlocal ran
        ran += 1
        trial.set_user_attr(WORKER_ATTR, worker)
        trial.set_user_attr(PID_ATTR, os.getpid())
        return objective(trial)

    # Counts trials in every state, running ones included, so the workers together stop
    # at the budget (two workers asking at the same moment may each start the last one).
    stop = optuna.study.MaxTrialsCallback(spec.n_trials, states=None)
    remaining = spec.deadline - time.time()
    # The queued first trial waits in the study until a worker takes it: not yet started.
    started = [t for t in study.get_trials(deepcopy=False) if t.state != TrialState.WAITING]
    if remaining > 0 and len(started) < spec.n_trials:
        study.optimize(tagged, timeout=remaining, callbacks=[stop])
    return ran


def run_workers(
    study: optuna.Study,
    spec: StudySpec,
    objective: Callable[[optuna.Trial], float],
    workers: int,
) -> list[int]:
    """Run the study's trials in ``workers`` processes (this one and ``workers - 1`` spawned).

    Spawned, not forked: a fork would copy this process's database connections and
    thread pools. ``objective`` is pickled to each spawned worker.

    Args:
        study: the study as created by :func:`create_study` in this process.
        spec: how the other workers open it.
        objective: the loss of one trial's settings (picklable when ``workers > 1``).
        workers: processes running trials.

    Returns:
        Trials run by each worker, worker 0 first.
    """
    if workers == 1:
        return [run_trials(spec, objective, 0, study)]
    if spec.storage_url is None and spec.journal_path is None:
        raise ValueError("several tuning workers need a shared storage")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context) as pool:
        others = [pool.submit(run_trials, spec, objective, i) for i in range(1, workers)]
        mine = run_trials(spec, objective, 0, study)
        counts = [mine, *(future.result() for future in others)]
    logger.info("tuning: trials per worker %s", counts)
    return counts
