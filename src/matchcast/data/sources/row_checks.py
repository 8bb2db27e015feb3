"""Rows of a CSV file that cannot become a match row, found before parsing aligns columns.

:func:`matchcast.data.sources.csvtext.read_text_table` drops these rows and reports each
with its file, line, reason and raw text, so that one bad row never stops the whole file:

* a quoted field that spans lines (the CSV parser would merge lines into one record, and
  the rows would no longer line up with their line numbers);
* a row that ends before the columns it needs (a file cut mid-row, or a short line);
* a needed numeric value written as something that is not a number (goals as words).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BadRows:
    """Positions (into the data lines) of rows to drop, with one reason each."""

    positions: np.ndarray  # one per dropped record (its first line)
    reasons: list[str]
    raw: list[str]
    # Further lines of a record that spans lines: removed too, reported with its first line.
    continuation: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))


def _empty() -> BadRows:
    return BadRows(np.array([], dtype=np.int64), [], [])


def multiline_records(data_lines: Sequence[str], line_numbers: np.ndarray) -> BadRows:
    """Records whose quoted field spans lines.

    A line with an odd number of ``"`` opens or closes a quoted field across the line
    break; lines are paired in order (an opener with the next such line) and every line
    from one to the other is dropped as one record (one issue row, at its first line). An
    opener left without a closer is left to the parser's unbalanced-quote fallback (every
    line then stays one row).
    """
    odd = [i for i, line in enumerate(data_lines) if line.count('"') % 2 == 1]
    positions: list[int] = []
    continuation: list[int] = []
    reasons: list[str] = []
    raw: list[str] = []
    for start, end in zip(odd[0::2], odd[1::2], strict=False):
        first, last = int(line_numbers[start]), int(line_numbers[end])
        positions.append(start)
        continuation.extend(range(start + 1, end + 1))
        reasons.append(
            f"a quoted field spans lines {first}-{last}: the record cannot be aligned "
            "with the header; dropped"
        )
        raw.append("\\n".join(data_lines[start : end + 1]))
    return BadRows(
        np.array(positions, dtype=np.int64),
        reasons,
        raw,
        np.array(continuation, dtype=np.int64),
    )


def short_rows(
    data_lines: Sequence[str],
    header: Sequence[str],
    needed: Collection[str],
    ends_with_newline: bool,
    named_width: int,
) -> BadRows:
    """Rows that end before a needed column, and a last row the file's end cut off.

    Args:
        data_lines: The data lines of the file.
        header: Column names by position.
        needed: Columns a row must reach (e.g. the goals): a row that stops before them
            is a cut row, never a match without a result.
        ends_with_newline: Whether the file ends with a line break; when it does not, a
            last row shorter than the header was cut mid-write or mid-download.
        named_width: Number of header positions up to the last named column.
    """
    positions = [i for i, name in enumerate(header) if name in needed]
    if len(data_lines) == 0:
        return _empty()
    # A naive comma count bounds the field count from above (quoted commas only lower it).
    fields = np.array([line.count(",") + 1 for line in data_lines], dtype=np.int64)
    reach = (max(positions) + 1) if positions else 0
    short = fields < reach
    cut_last = not ends_with_newline and fields[-1] < named_width
    found = np.flatnonzero(short)
    reasons = [
        f"row ends after {int(fields[i])} of the header's {named_width} fields, before "
        f"{header[max(positions)]}: a cut or short row, not a match without a result; dropped"
        for i in found
    ]
    raw = [data_lines[int(i)] for i in found]
    if cut_last and not short[-1]:
        last = len(data_lines) - 1
        found = np.append(found, last)
        reasons.append(
            f"the file ends inside this row (after {int(fields[-1])} of the header's "
            f"{named_width} fields): cut mid-write or mid-download; dropped"
        )
        raw.append(data_lines[last])
    return BadRows(found.astype(np.int64), reasons, raw)


def unreadable_numbers(
    frame: pd.DataFrame, columns: Collection[str], data_lines: Sequence[str]
) -> BadRows:
    """Rows where a needed numeric column holds text that is not a number.

    Args:
        frame: Parsed raw columns, one row per entry of ``data_lines``.
        columns: Numeric columns whose present values must parse (e.g. the goals).
        data_lines: The raw lines, kept in the report.
    """
    reasons: dict[int, list[str]] = {}
    for name in columns:
        if name not in frame.columns or frame[name].dtype.kind in "fiub":
            continue
        text = frame[name].astype("string").str.strip()
        bad = text.notna() & (text != "") & pd.to_numeric(text, errors="coerce").isna()
        for i in np.flatnonzero(bad.to_numpy(dtype=bool)):
            reasons.setdefault(int(i), []).append(f"{name} {text.iloc[i]!r} is not a number")
    found = sorted(reasons)
    return BadRows(
        np.array(found, dtype=np.int64),
        ["; ".join(reasons[i]) + "; dropped (raw values kept)" for i in found],
        [data_lines[i] for i in found],
    )
