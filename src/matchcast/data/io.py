"""Atomic file writes: a reader never sees a partial file."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")


def default_file_mode() -> int:
    """The mode ``open()`` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, default_file_mode())  # mkstemp makes 0600 files; publish like open() would
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as parquet atomically."""
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as CSV atomically."""
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def json_text(payload: dict[str, Any]) -> str:
    """JSON as the project writes it: sorted keys, indented, NaN-free, final newline."""
    return json.dumps(payload, indent=2, sort_keys=True, default=str, allow_nan=False) + "\n"


def write_json(payload: dict[str, Any], path: Path) -> None:
    """Write JSON atomically (sorted keys, indented, NaN-free)."""
    text = json_text(payload)

    def _write(tmp: Path) -> None:
        tmp.write_text(text)

    atomic_write(path, _write)


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write bytes atomically."""

    def _write(tmp: Path) -> None:
        tmp.write_bytes(payload)

    atomic_write(path, _write)


def read_pickle(path: Path, kind: type[T], what: str) -> T:
    """Read a pickled object written by a stage of this project and check its type.

    Raises:
        ValueError: The file holds something else (named in the message with ``what``).
    """
    obj = pickle.loads(path.read_bytes())
    if not isinstance(obj, kind):
        raise ValueError(f"{path} does not hold a {what} ({type(obj).__name__})")
    return obj


def file_md5(path: Path) -> str:
    """MD5 of a file's bytes: the hash DVC records for a file output in dvc.lock."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inputs_version(hashes: Mapping[str, str]) -> str:
    """One version string for several inputs: MD5 of their sorted ``name:md5`` lines."""
    lines = "\n".join(f"{name}:{md5}" for name, md5 in sorted(hashes.items()))
    return hashlib.md5(lines.encode(), usedforsecurity=False).hexdigest()
