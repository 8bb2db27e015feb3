"""The shrink gate: a source file must not hold fewer rows than it did in the last run.

A results file only grows (a season gains matches; a past season is final). A file that
lost rows since the last run was cut (a truncated download, a half-written mirror) or
rewritten upstream; either way the table would silently lose matches, or a cut last row
would pass as a match not yet played. The validate stage compares the rows each file had
in the previous run (from its previous report) with this run's, and fails unless the user
accepts the change (``validate.accept_shrink``). Fixture lists shrink by design and are
not compared.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pandas as pd

from matchcast.data import columns as c
from matchcast.data.sources.csvtext import DROPPED

NOT_COMPARED_SOURCES = ("fixtures",)  # the ``source`` of fixture rows
NOT_COMPARED_KINDS = ("fixtures",)  # the kind of a planned fixtures file


@dataclass(frozen=True)
class Shrunk:
    """One file that has fewer rows than in the last run."""

    file: str
    before: int
    now: int

    def describe(self) -> str:
        """``<file> 380 -> 301 rows (-79)``."""
        return f"{self.file} {self.before} -> {self.now} rows ({self.now - self.before:+d})"


def rows_per_file(
    raw: pd.DataFrame, ingest_issues: pd.DataFrame, configured: Collection[str] = ()
) -> dict[str, int]:
    """Data rows each results file held: parsed rows plus rows dropped while reading.

    Args:
        raw: Canonical rows from ingest (``source_file``, ``source``).
        ingest_issues: The ingest quarantine (``source_file``, ``severity``).
        configured: Results files the configuration reads: one that yielded no row at all
            (cut down to its header, emptied, gone) counts 0, so it can fail the gate.
    """
    compared = raw[~raw[c.SOURCE].isin(NOT_COMPARED_SOURCES)]
    counts = compared.groupby(c.SOURCE_FILE).size()
    if not ingest_issues.empty:
        dropped = ingest_issues[ingest_issues["severity"] == DROPPED]
        dropped = dropped[dropped["source_file"].isin(counts.index)]
        counts = counts.add(dropped.groupby("source_file").size(), fill_value=0)
    rows = {name: 0 for name in configured}
    rows.update({str(name): int(n) for name, n in counts.items()})
    return rows


def shrunk_files(previous: Mapping[str, int] | None, now: Mapping[str, int]) -> list[Shrunk]:
    """Files read in both runs that hold fewer rows now (a file no longer read is not one)."""
    if not previous:
        return []
    return [
        Shrunk(name, int(previous[name]), int(rows))
        for name, rows in sorted(now.items())
        if name in previous and int(rows) < int(previous[name])
    ]


def shrink_message(shrunk: list[Shrunk]) -> str:
    """One line: which files shrank, by how much, and what to do."""
    listed = "; ".join(s.describe() for s in shrunk[:10])
    more = f" and {len(shrunk) - 10} more" if len(shrunk) > 10 else ""
    return (
        f"{len(shrunk)} source file(s) hold fewer rows than in the last run: {listed}{more}"
        " — a truncated or rewritten file? Check the source (`rm -r data/raw` refetches it);"
        " if the change is right, set validate.accept_shrink: true for one run"
    )
