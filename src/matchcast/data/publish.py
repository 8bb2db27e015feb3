"""Publish the files of one stage together: all of them or none.

:func:`matchcast.data.io.atomic_write` makes one file appear whole. A stage's outputs
belong together (the match table with its quarantine and report; the forecasts with the
model card), so a stage publishes them as a set: every file is written to a temporary
file beside its target first, and only when all were written are they renamed into
place, back to back. A failure while writing (a full disk, a bug in a writer, a kill)
publishes nothing and leaves the previous set as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from matchcast.data.io import default_file_mode, json_text

Writer = Callable[[Path], None]


def publish_together(writers: Mapping[Path, Writer]) -> None:
    """Write every file to a temporary sibling, then rename them all into place.

    Args:
        writers: Target path -> a function writing the content to the path it is given.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for target, write in writers.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            staged.append((Path(name), target))
            write(Path(name))
            os.chmod(name, default_file_mode())  # mkstemp makes 0600 files
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)


def parquet_writer(frame: pd.DataFrame) -> Writer:
    """A writer of ``frame`` as parquet (no index)."""
    return lambda path: frame.to_parquet(path, index=False)


def csv_writer(frame: pd.DataFrame) -> Writer:
    """A writer of ``frame`` as CSV (no index)."""
    return lambda path: frame.to_csv(path, index=False)


def json_writer(payload: dict[str, object]) -> Writer:
    """A writer of ``payload`` as JSON, formatted like :func:`matchcast.data.io.write_json`."""
    text = json_text(payload)

    def _write(path: Path) -> None:
        path.write_text(text)

    return _write
