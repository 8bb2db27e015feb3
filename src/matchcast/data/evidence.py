"""Evidence of a failed validation, written beside the last good outputs.

When a gate fails, the stage publishes nothing: the previous match table, quarantine and
report stay as they were (DVC keeps them: ``persist: true``), consistent with
``dvc.lock``. What this run found is written to sibling files named ``<stem>.failed<ext>``
(``data/quarantine/validation.failed.csv``, ``reports/validation.failed.json``), and the
gate's message names them and the most frequent reasons. A later successful run removes
them, so evidence never outlives the failure it describes. ADR-0011.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from matchcast.data.io import write_csv, write_json
from matchcast.data.sources.csvtext import DROPPED

FAILED_SUFFIX = ".failed"
TOP_REASONS = 5


def failed_path(path: Path) -> Path:
    """``dir/name.ext`` -> ``dir/name.failed.ext``: where a failed run's version goes."""
    return path.with_name(f"{path.stem}{FAILED_SUFFIX}{path.suffix}")


def reason_counts(quarantine: pd.DataFrame) -> pd.Series:
    """How many dropped rows carry each reason, most frequent first."""
    if quarantine.empty:
        return pd.Series(dtype="int64")
    dropped = quarantine[quarantine["severity"] == DROPPED]
    reasons = dropped["reason"].astype(str).str.split(" \\| raw: ").str[0]
    return reasons.str.split("; ").explode().value_counts()


def top_reasons(quarantine: pd.DataFrame, n: int = TOP_REASONS) -> str:
    """``reason (count), ...`` of the ``n`` most frequent reasons, or ``no rows dropped``."""
    counts = reason_counts(quarantine).head(n)
    if counts.empty:
        return "no rows dropped"
    return ", ".join(f"{reason} ({count})" for reason, count in counts.items())


def write_failure(
    message: str,
    quarantine: pd.DataFrame,
    quarantine_path: Path,
    report_path: Path,
    as_of: dt.date,
    extra: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write a failed run's quarantine and report beside the published ones.

    Returns:
        The paths written (quarantine CSV, report JSON).
    """
    rows, report = failed_path(quarantine_path), failed_path(report_path)
    write_csv(quarantine, rows)
    counts = reason_counts(quarantine)
    payload: dict[str, Any] = {
        "failed": True,
        "gate": message,
        "as_of": as_of.isoformat(),
        "quarantine": str(rows),
        "dropped": int((quarantine["severity"] == DROPPED).sum()) if len(quarantine) else 0,
        "dropped_by_reason": {str(k): int(v) for k, v in counts.items()},
        **(extra or {}),
    }
    write_json(payload, report)
    return rows, report


def clear_failure(quarantine_path: Path, report_path: Path) -> None:
    """Remove the evidence of an earlier failed run (this run succeeded)."""
    for path in (failed_path(quarantine_path), failed_path(report_path)):
        path.unlink(missing_ok=True)
