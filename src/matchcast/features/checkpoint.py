"""The saved state of the feature build, and the digests that say whether it still applies.

Beside ``features.parquet`` the features stage keeps one ``.npz`` file: where every
chronological pass stood after the first ``rows`` matches of the timeline (whole date
groups, all finished), the digest of those match rows, the digest of what else decides the
features (the ``features:`` parameters, the features code, NumPy and pandas), and the MD5
of the features file written with it. The next run may carry on from that state only if
all of them still match (:mod:`matchcast.features.incremental`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchcast.data import columns as c
from matchcast.data.io import atomic_write, json_text
from matchcast.features.params import FeatureParams
from matchcast.features.saved_state import Arrays

logger = logging.getLogger(__name__)

FORMAT: Final = 1
_META: Final = "__meta__"
# Where a row came from (file, line) never enters a feature: a source that re-sorts or
# re-numbers its lines must not force a rebuild.
PROVENANCE: Final = (c.SOURCE, c.SOURCE_FILE, c.SOURCE_LINE)
_CODE_DIR: Final = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Checkpoint:
    """Where the chronological passes stood after the first ``rows`` timeline rows."""

    rows: int
    cut_day: int  # day number of the last of those rows (-1 when there are none)
    prefix_digest: str  # digest of those match rows, see :func:`row_hashes`
    config_digest: str  # see :func:`config_digest`
    features_md5: str  # MD5 of the features file written with this state ("" before it is)
    states: Arrays


def row_hashes(ordered: pd.DataFrame) -> npt.NDArray[np.uint64]:
    """One 64-bit hash per match row (every column but :data:`PROVENANCE`).

    Args:
        ordered: Match rows in timeline order.

    Returns:
        Hashes aligned with the rows; a prefix digest is computed from a prefix of them.
    """
    columns = sorted(col for col in ordered.columns if col not in PROVENANCE)
    hashed = pd.util.hash_pandas_object(ordered.loc[:, columns], index=False)
    return np.asarray(hashed.to_numpy(), dtype=np.uint64)


def prefix_digest(ordered: pd.DataFrame, hashes: npt.NDArray[np.uint64], rows: int) -> str:
    """Digest of the first ``rows`` match rows: their columns, dtypes and values.

    Args:
        ordered: Match rows in timeline order (for the column names and dtypes).
        hashes: :func:`row_hashes` of ``ordered``.
        rows: How many rows from the start.

    Returns:
        A hex SHA-256.
    """
    digest = hashlib.sha256()
    for col in sorted(col for col in ordered.columns if col not in PROVENANCE):
        digest.update(f"{col}:{ordered[col].dtype}\n".encode())
    digest.update(str(rows).encode())
    digest.update(np.ascontiguousarray(hashes[:rows]).tobytes())
    return digest.hexdigest()


def config_digest(params: FeatureParams) -> str:
    """Digest of everything but the matches that decides the features.

    Args:
        params: Feature parameters.

    Returns:
        A hex SHA-256 of the parameters, the features code and the NumPy and pandas versions.
    """
    digest = hashlib.sha256(params.model_dump_json().encode())
    digest.update(f"numpy {np.__version__} pandas {pd.__version__} format {FORMAT}".encode())
    for source in sorted(_CODE_DIR.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def save_checkpoint(checkpoint: Checkpoint, path: Path) -> None:
    """Write the checkpoint atomically (one ``.npz``: the states and a JSON header)."""
    meta = json_text(
        {
            "format": FORMAT,
            "rows": checkpoint.rows,
            "cut_day": checkpoint.cut_day,
            "prefix_digest": checkpoint.prefix_digest,
            "config_digest": checkpoint.config_digest,
            "features_md5": checkpoint.features_md5,
        }
    )

    arrays: dict[str, Any] = {_META: np.array(meta), **checkpoint.states}

    def _write(tmp: Path) -> None:
        # A file handle, not a name: np.savez would append ".npz" to the temporary name.
        with tmp.open("wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)

    atomic_write(path, _write)


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path``, or None when there is none that this code can read.

    Args:
        path: The ``.npz`` file :func:`save_checkpoint` wrote.

    Returns:
        The checkpoint; None when the file is missing, damaged or of another format.
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays: dict[str, Any] = {name: saved[name] for name in saved.files}
        meta = json.loads(str(arrays.pop(_META)))
        if meta.get("format") != FORMAT:
            logger.info("feature state %s has format %s, not %s", path, meta.get("format"), FORMAT)
            return None
        return Checkpoint(
            rows=int(meta["rows"]),
            cut_day=int(meta["cut_day"]),
            prefix_digest=str(meta["prefix_digest"]),
            config_digest=str(meta["config_digest"]),
            features_md5=str(meta["features_md5"]),
            states=arrays,
        )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        logger.warning("feature state %s is unreadable (%s): rebuilding", path, err)
        return None
