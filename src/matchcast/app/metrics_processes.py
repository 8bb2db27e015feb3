"""One metrics view over several uvicorn workers (prometheus-client's multiprocess mode).

With ``matchcast serve --workers N`` (N > 1) each worker is its own process, and a scrape
reaches whichever worker accepts the connection. In multiprocess mode every worker writes
its counters, histograms and gauges to memory-mapped files in one folder
(``PROMETHEUS_MULTIPROC_DIR``), and any worker's ``/metrics`` sums them: one consistent
view per instance. Values derived from the loaded files (model, forecasts, reports) are
the same in every worker and come from the answering worker's collectors.

The folder must be empty when the workers start: ``shared_metrics_folder`` makes a new one
(or empties the one named in the environment) before uvicorn spawns them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

ENV = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+?_(\d+)\.db$")


def multiprocess_folder() -> Path | None:
    """The shared metrics folder of this process's server, or None (one process)."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


@contextlib.contextmanager
def shared_metrics_folder(workers: int) -> Iterator[Path | None]:
    """Put the workers about to start in multiprocess mode when there is more than one.

    A folder named in ``PROMETHEUS_MULTIPROC_DIR`` (which puts even one worker in
    multiprocess mode) is made if missing and emptied of the files of a previous server;
    otherwise several workers get a new temporary folder, removed at the end.
    """
    named = multiprocess_folder()
    if named is not None:
        named.mkdir(parents=True, exist_ok=True)
        for stale in named.glob("*.db"):
            stale.unlink()
        yield named
        return
    if workers == 1:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="matchcast-metrics-"))
    os.environ[ENV] = str(folder)
    try:
        yield folder
    finally:
        os.environ.pop(ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


class WorkersCollector(Collector):
    """Every worker's metrics from the shared folder, without the live gauges of dead ones.

    uvicorn replaces a worker that dies; the dead worker's counters stay in the sums (a
    counter never goes back), its ``live*`` gauges are dropped at the next scrape.
    """

    def __init__(self, folder: Path) -> None:
        """Merge the files of ``folder`` at each scrape."""
        self.folder = folder
        self._files = multiprocess.MultiProcessCollector(None, str(folder))  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Metric]:
        """Forget the live gauges of workers that are gone, then merge every file."""
        for path in self.folder.glob("gauge_live*.db"):
            match = _LIVE_GAUGE_FILE.match(path.name)
            if match is not None and not _alive(int(match.group(1))):
                multiprocess.mark_process_dead(int(match.group(1)), str(self.folder))  # type: ignore[no-untyped-call]
        merged: Iterable[Metric] = self._files.collect()  # type: ignore[no-untyped-call]
        return merged


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
