"""Turn the bytes of a messy CSV file into a frame of raw columns plus a row-level issue list.

Handles what the real football-data.co.uk files contain: UTF-8 with or without BOM or
cp1252, CRLF, blank and comma-only lines, empty trailing header names, quoted fields
with commas, and ragged rows (more or fewer fields than the header).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matchcast.data.sources import row_checks

ISSUE_COLUMNS = ["source_file", "source_line", "severity", "reason", "raw"]
DROPPED = "dropped"  # the row is not in the match table
REPAIRED = "repaired"  # the row is kept, some of its fields were set to null
LINE = "_line"  # 1-based line number of the row in its file
RAGGED = "_ragged"  # the row had values past the header


@dataclass(frozen=True)
class RawTable:
    """Raw columns of one file, one row per data line, and the file-level facts."""

    frame: pd.DataFrame
    header: list[str]
    encoding: str
    had_bom: bool
    crlf: bool
    blank_lines: int
    issues: pd.DataFrame

    def with_frame(self, frame: pd.DataFrame) -> RawTable:
        """The same file facts over another frame (e.g. with provenance columns added)."""
        return RawTable(
            frame,
            self.header,
            self.encoding,
            self.had_bom,
            self.crlf,
            self.blank_lines,
            self.issues,
        )


def decode(payload: bytes) -> tuple[str, str, bool]:
    """Decode file bytes: UTF-8 (BOM stripped) or, failing that, cp1252.

    Returns:
        The text, the encoding used, and whether a BOM was present.
    """
    had_bom = payload.startswith(b"\xef\xbb\xbf")
    try:
        return payload.decode("utf-8-sig"), "utf-8", had_bom
    except UnicodeDecodeError:
        body = payload[3:] if had_bom else payload  # a BOM is no cp1252 text
        return body.decode("cp1252", errors="replace"), "cp1252", had_bom


def empty_issues() -> pd.DataFrame:
    """An issue frame with no rows and the standard columns."""
    return pd.DataFrame({name: pd.Series(dtype="object") for name in ISSUE_COLUMNS})


def read_text_table(
    payload: bytes,
    source_file: str,
    aliases: dict[str, str] | None = None,
    keep: Collection[str] | None = None,
    text_columns: Collection[str] = (),
    needed: Collection[str] = (),
) -> RawTable:
    """Parse CSV bytes into raw columns named by the (aliased) header.

    Blank and comma-only lines are skipped (counted, not errors). Values beyond the last
    named header column make the row *ragged*: it is kept, flagged in ``_ragged``, and
    reported with its raw line, since its tail cannot be aligned to any column.

    Args:
        payload: The file's bytes.
        source_file: Name used in issue rows (URL path or file name).
        aliases: Header variants renamed to one name (``HT`` → ``HomeTeam``).
        keep: Only these columns are kept (all when None).
        text_columns: Columns read as text; all others are parsed as numbers where possible.
        needed: Numeric columns (after aliasing) every row must reach and hold a number or
            nothing in (the goals): a row cut before them, or with a word in them, is
            dropped and reported (:mod:`.row_checks`), as is a record whose quoted field
            spans lines.
    """
    aliases = aliases or {}
    text, encoding, had_bom = decode(payload)
    crlf = "\r\n" in text
    lines = np.array(text.splitlines(), dtype=object)
    blank = np.array([not line.strip(" \t,;") for line in lines], dtype=bool)
    non_blank = np.flatnonzero(~blank)
    if non_blank.size == 0:
        return RawTable(
            pd.DataFrame(), [], encoding, had_bom, crlf, int(lines.size), empty_issues()
        )
    header_at = int(non_blank[0])
    raw_header = next(csv.reader([lines[header_at]]))
    header = [aliases.get(name.strip(), name.strip()) for name in raw_header]
    named = [i for i, name in enumerate(header) if name]
    last_named = (max(named) + 1) if named else 0
    data_idx = non_blank[non_blank > header_at]
    blank_lines = int(lines.size - 1 - header_at - data_idx.size)
    wanted = [
        i
        for i, name in enumerate(header[:last_named])
        if name and (keep is None or name in keep) and name not in header[:i]
    ]
    if data_idx.size == 0:
        frame = pd.DataFrame(columns=[header[i] for i in wanted] + [LINE, RAGGED])
        return RawTable(frame, header, encoding, had_bom, crlf, blank_lines, empty_issues())
    data_lines = lines[data_idx]
    line_numbers = data_idx + 1
    line_list = list(data_lines)
    bad = [
        row_checks.multiline_records(line_list, line_numbers),
        row_checks.short_rows(line_list, header, needed, text.endswith(("\n", "\r")), last_named),
    ]
    kept = np.ones(data_lines.size, dtype=bool)
    for found in bad:
        kept[found.positions] = False
        kept[found.continuation] = False
    issues = _dropped_issues(source_file, line_numbers, bad)
    data_lines, line_numbers = data_lines[kept], line_numbers[kept]
    if data_lines.size == 0:
        frame = pd.DataFrame(columns=[header[i] for i in wanted] + [LINE, RAGGED])
        return RawTable(frame, header, encoding, had_bom, crlf, blank_lines, issues)
    # A naive comma count bounds the field count from above (quotes only lower it).
    counts = [line.count(",") for line in data_lines]
    width = max(max(counts, default=0) + 1, len(header))
    text_positions = {i for i in wanted if header[i] in text_columns}
    options: dict[str, Any] = {
        "header": None,
        "names": list(range(width)),
        "dtype": {i: str for i in range(width) if i in text_positions or i >= last_named},
        "keep_default_na": False,
        "na_values": ["", " ", "NA", "N/A", "#N/A", "-"],
        "skipinitialspace": True,
        "skip_blank_lines": False,
        "engine": "c",
        "low_memory": False,
    }
    body = "\n".join(data_lines)
    try:
        table = pd.read_csv(io.StringIO(body), **options)
    except pd.errors.ParserError:
        table = None
    if table is None or len(table) != data_lines.size:
        # An unbalanced quote swallows the lines after it: read quotes as plain characters
        # instead, so every line stays one row (a quoted comma then shows up as ragged).
        table = pd.read_csv(io.StringIO(body), quoting=csv.QUOTE_NONE, **options)
    tail = table[[i for i in range(last_named, width)]]
    ragged = tail.notna().to_numpy().any(axis=1) if tail.shape[1] else np.zeros(len(table), bool)
    if ragged.any():
        issues = pd.concat(
            [
                issues,
                pd.DataFrame(
                    {
                        "source_file": source_file,
                        "source_line": line_numbers[ragged],
                        "severity": REPAIRED,
                        "reason": (
                            f"ragged row: values past the {last_named} named header columns "
                            "cannot be aligned; result kept, stats and odds set to null"
                        ),
                        "raw": data_lines[ragged],
                    }
                ),
            ],
            ignore_index=True,
        )
    columns = pd.DataFrame({header[i]: table[i] for i in wanted})
    words = row_checks.unreadable_numbers(columns, needed, list(data_lines))
    if words.positions.size:
        issues = pd.concat(
            [issues, _dropped_issues(source_file, line_numbers, [words])], ignore_index=True
        )
        readable = np.ones(len(table), dtype=bool)
        readable[words.positions] = False
        table, line_numbers, ragged = table[readable], line_numbers[readable], ragged[readable]
    frame = table[wanted]
    frame.columns = [header[i] for i in wanted]
    frame = frame.reset_index(drop=True)
    frame[LINE] = line_numbers
    frame[RAGGED] = np.asarray(ragged, dtype=bool)
    return RawTable(frame, header, encoding, had_bom, crlf, blank_lines, issues)


def _dropped_issues(
    source_file: str, line_numbers: np.ndarray, found: list[row_checks.BadRows]
) -> pd.DataFrame:
    """Issue rows (severity ``dropped``) for rows a check removed, with their raw text."""
    frames = [
        pd.DataFrame(
            {
                "source_file": source_file,
                "source_line": line_numbers[bad.positions],
                "severity": DROPPED,
                "reason": bad.reasons,
                "raw": bad.raw,
            }
        )
        for bad in found
        if bad.positions.size
    ]
    return pd.concat(frames, ignore_index=True) if frames else empty_issues()
