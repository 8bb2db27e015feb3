"""Apply the contracts: quarantine bad rows with a reason each, enforce the gates, and
publish the match table with results after ``as_of`` hidden."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from matchcast.data import columns as c
from matchcast.data import shrink
from matchcast.data.contracts import MATCH_TABLE, STAT_BOUNDS, row_contract
from matchcast.data.normalize import result_from_goals
from matchcast.data.sources.csvtext import DROPPED, REPAIRED

logger = logging.getLogger(__name__)

QUARANTINE_COLUMNS = [
    c.SOURCE_FILE, c.SOURCE_LINE, "severity", "reason", c.MATCH_ID, c.LEAGUE, c.SEASON,
    c.DATE, c.HOME_TEAM, c.AWAY_TEAM, c.HOME_GOALS, c.AWAY_GOALS, c.RESULT,
]  # fmt: skip
# What stays unknown about a match that has not kicked off yet (as seen from as_of).
HIDDEN_WHEN_SCHEDULED = (c.HOME_GOALS, c.AWAY_GOALS, c.RESULT, *c.STAT_COLUMNS, *c.ODDS_CLOSE)


class GateError(RuntimeError):
    """A validation gate was breached; the message says which and where.

    ``quarantine`` holds the rows this run dropped or repaired so far (the evidence the
    stage writes for a failed run), ``rows_per_file`` the rows each file held.
    """

    def __init__(
        self,
        message: str,
        quarantine: pd.DataFrame | None = None,
        rows_per_file: dict[str, int] | None = None,
    ) -> None:
        """Keep the message and the evidence."""
        super().__init__(message)
        self.quarantine = (
            pd.DataFrame(columns=QUARANTINE_COLUMNS) if quarantine is None else quarantine
        )
        self.rows_per_file = rows_per_file or {}


@dataclass(frozen=True)
class ValidationResult:
    """The published table, every quarantined or repaired row, and the summary report."""

    matches: pd.DataFrame
    quarantine: pd.DataFrame
    report: dict[str, Any]


def _contract_failures(raw: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One row per (row index, reason) that breaks the row contract."""
    try:
        row_contract(as_of).validate(raw, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        # No row index: a missing or mistyped column, or a check that could not run at all.
        table_level = cases[cases["index"].isna()]
        if not table_level.empty:  # the whole source is unusable
            raise GateError(
                "contract failed for the whole table: "
                + "; ".join(f"{r.check} ({r.failure_case})" for r in table_level.itertuples())
            ) from errors
        cases = cases[cases["index"].notna()].copy()
        column = cases["column"].astype("string").fillna("")
        check = cases["check"].astype("string")
        cases["reason"] = np.where(
            column.isin(["", "DataFrameSchema"]) | (cases["schema_context"] == "DataFrameSchema"),
            check,
            column + ": " + check,
        )
        cases["index"] = cases["index"].astype("int64")
        return pd.DataFrame({"index": cases["index"], "reason": cases["reason"]})
    return pd.DataFrame({"index": pd.Series(dtype="int64"), "reason": pd.Series(dtype="object")})


def _repair(frame: pd.DataFrame) -> pd.DataFrame:
    """Repair what has one right answer, in place, and list each repair.

    * A result letter that contradicts the score is recomputed from the goals (the goals
      are the primary record; the letter is derived from them), and a missing letter filled.
    * Implausible statistics are set to null.
    """
    records = []
    derived = result_from_goals(frame[c.HOME_GOALS], frame[c.AWAY_GOALS])
    given = frame[c.RESULT].astype("string")
    contradicts = (
        (derived.notna() & given.notna() & (given != derived)).fillna(False).to_numpy(dtype=bool)
    )
    if contradicts.any():
        idx = np.flatnonzero(contradicts)
        records.append(
            pd.DataFrame(
                {
                    "index": idx,
                    "reason": [
                        f"result {g!r} contradicts the score {int(h)}-{int(a)}"
                        "; recomputed from the goals"
                        for g, h, a in zip(
                            given.iloc[idx],
                            frame[c.HOME_GOALS].iloc[idx],
                            frame[c.AWAY_GOALS].iloc[idx],
                            strict=True,
                        )
                    ],
                }
            )
        )
    fill = (derived.notna() & (given.isna() | pd.Series(contradicts, index=frame.index))).to_numpy(
        dtype=bool
    )
    frame.loc[fill, c.RESULT] = derived[fill]
    for name, bound in STAT_BOUNDS.items():
        bad = (frame[name] < 0) | (frame[name] > bound) | ((frame[name] % 1) != 0)
        bad &= frame[name].notna()
        if bad.any():
            records.append(
                pd.DataFrame(
                    {
                        "index": np.flatnonzero(bad.to_numpy()),
                        "reason": f"{name}: implausible value set to null (0..{bound})",
                    }
                )
            )
            frame.loc[bad, name] = np.nan
    if not records:
        return pd.DataFrame(
            {"index": pd.Series(dtype="int64"), "reason": pd.Series(dtype="object")}
        )
    return pd.concat(records, ignore_index=True)


def _quarantine_rows(raw: pd.DataFrame, cases: pd.DataFrame, severity: str) -> pd.DataFrame:
    if cases.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    grouped = cases.groupby("index")["reason"].agg(lambda r: "; ".join(sorted(set(map(str, r)))))
    rows = raw.loc[grouped.index, [col for col in QUARANTINE_COLUMNS if col in raw.columns]].copy()
    rows["severity"] = severity
    rows["reason"] = grouped.to_numpy()
    return rows[QUARANTINE_COLUMNS]


def apply_as_of(frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Mark matches after ``as_of`` scheduled and hide what is unknown before they kick off."""
    frame = frame.copy()
    scheduled = (frame[c.DATE] > pd.Timestamp(as_of)) | frame[c.HOME_GOALS].isna()
    frame[c.STATUS] = pd.Series(
        np.where(scheduled, c.SCHEDULED, c.FINISHED), index=frame.index, dtype="string"
    )
    for name in HIDDEN_WHEN_SCHEDULED:
        frame.loc[scheduled, name] = np.nan if frame[name].dtype.kind == "f" else pd.NA
    frame.loc[scheduled, c.ODDS_CLOSE_SOURCE] = pd.NA
    return frame


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame[c.HOME_GOALS] = frame[c.HOME_GOALS].astype("Int64")
    frame[c.AWAY_GOALS] = frame[c.AWAY_GOALS].astype("Int64")
    for name in (
        c.MATCH_ID,
        c.LEAGUE,
        c.SEASON,
        c.HOME_TEAM,
        c.AWAY_TEAM,
        c.HOME_ID,
        c.AWAY_ID,
        c.RESULT,
        c.STATUS,
        c.ODDS_PRE_SOURCE,
        c.ODDS_CLOSE_SOURCE,
        c.SOURCE,
        c.SOURCE_FILE,
    ):
        frame[name] = frame[name].astype("string")
    frame[c.TIME_KNOWN] = frame[c.TIME_KNOWN].astype(bool)
    frame[c.NEUTRAL] = frame[c.NEUTRAL].astype(bool)
    frame[c.SOURCE_LINE] = frame[c.SOURCE_LINE].astype("int64")
    return (
        frame[list(c.CANONICAL_COLUMNS)]
        .sort_values([c.KICKOFF, c.LEAGUE, c.MATCH_ID])
        .reset_index(drop=True)
    )


def validate_matches(
    raw: pd.DataFrame,
    ingest_issues: pd.DataFrame,
    as_of: dt.date,
    max_bad_row_share: float,
    previous_rows: Mapping[str, int] | None = None,
    accept_shrink: bool = False,
    configured_files: Collection[str] = (),
) -> ValidationResult:
    """Check parsed rows against the contracts and publish the match table.

    Args:
        raw: Canonical rows from the ingest stage.
        ingest_issues: Rows the parser repaired (ragged rows), to carry into the report.
        as_of: Backtest cut-off: later matches become ``scheduled`` with results hidden.
        max_bad_row_share: Largest share of dropped rows one file may have.
        previous_rows: Rows per file in the last run (its report); a file with fewer
            rows now fails the shrink gate (:mod:`matchcast.data.shrink`).
        accept_shrink: Accept files that shrank (the user checked the change).
        configured_files: Results files the configuration reads (a file that yielded no
            row counts 0 rows instead of being absent).

    Raises:
        GateError: Duplicate match ids, a file over the bad-row share, a file that
            shrank, or nothing left; it carries the quarantine found so far.
    """
    raw = raw.reset_index(drop=True)
    if raw.empty:
        raise GateError("the source is empty: no rows to validate")
    raw = raw.copy()
    repaired_cases = _repair(raw)
    dropped_cases = _contract_failures(raw, as_of)
    dropped_idx = np.unique(dropped_cases["index"].to_numpy())
    quarantine = pd.concat(
        [
            _quarantine_rows(raw, dropped_cases, DROPPED),
            _quarantine_rows(
                raw, repaired_cases[~repaired_cases["index"].isin(dropped_idx)], REPAIRED
            ),
            _ingest_issue_rows(raw, ingest_issues),
        ],
        ignore_index=True,
    )
    kept = raw.drop(index=pd.Index(dropped_idx))
    file_rows = shrink.rows_per_file(raw, ingest_issues, configured_files)
    shrunk = shrink.shrunk_files(previous_rows, file_rows)
    if shrunk and not accept_shrink:
        raise GateError(shrink.shrink_message(shrunk), quarantine, file_rows)
    if shrunk:
        logger.warning("accepted: %s", "; ".join(s.describe() for s in shrunk))

    duplicated = kept[c.MATCH_ID][kept[c.MATCH_ID].duplicated(keep=False)]
    if not duplicated.empty:
        where = kept.loc[duplicated.index, [c.MATCH_ID, c.SOURCE_FILE, c.SOURCE_LINE]]
        raise GateError(
            f"{duplicated.nunique()} duplicate match ids, e.g. "
            + "; ".join(
                f"{r.match_id} ({r.source_file}:{r.source_line})"
                for r in where.head(6).itertuples()
            ),
            quarantine,
            file_rows,
        )

    per_file = pd.DataFrame({"rows": raw.groupby(c.SOURCE_FILE).size()})
    per_file["dropped"] = raw.loc[dropped_idx].groupby(c.SOURCE_FILE).size()
    per_file["dropped"] = per_file["dropped"].fillna(0).astype(int)
    per_file = _with_rows_dropped_at_ingest(per_file, ingest_issues)
    per_file["share"] = per_file["dropped"] / per_file["rows"]
    over = per_file[per_file["share"] > max_bad_row_share]
    if not over.empty:
        raise GateError(
            f"{len(over)} file(s) exceed the bad-row gate of {max_bad_row_share:.2%}: "
            + "; ".join(
                f"{f} {int(r.dropped)}/{int(r.rows)} ({r.share:.2%})"
                for f, r in over.head(10).iterrows()
            )
            + " — see the quarantine file for each row's reason",
            quarantine,
            file_rows,
        )
    if kept.empty:
        raise GateError("every row was quarantined: nothing to publish", quarantine, file_rows)

    matches = _typed(apply_as_of(kept, as_of))
    MATCH_TABLE.validate(matches, lazy=True)
    report = _report(raw, matches, quarantine, per_file, as_of, max_bad_row_share)
    report["rows_per_file"] = file_rows
    report["accepted_shrink"] = [s.describe() for s in shrunk]
    logger.info(
        "validated %d rows: %d published (%d finished, %d scheduled), %d dropped, %d repaired",
        len(raw),
        len(matches),
        report["finished"],
        report["scheduled"],
        report["dropped"],
        report["repaired"],
    )
    return ValidationResult(matches, quarantine, report)


def _with_rows_dropped_at_ingest(per_file: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    """Count rows the reader dropped (cut, multi-line, unreadable) in their file's share."""
    if issues.empty:
        return per_file
    dropped = issues[issues["severity"] == DROPPED].groupby("source_file").size()
    dropped = dropped.reindex(per_file.index, fill_value=0).astype(int)
    per_file["rows"] += dropped
    per_file["dropped"] += dropped
    return per_file


def _ingest_issue_rows(raw: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    if issues.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    keyed = raw.set_index([c.SOURCE_FILE, c.SOURCE_LINE])
    rows = issues.rename(columns={"source_file": c.SOURCE_FILE, "source_line": c.SOURCE_LINE})
    rows = rows.join(keyed, on=[c.SOURCE_FILE, c.SOURCE_LINE], how="left", rsuffix="_raw")
    rows["reason"] = rows["reason"].astype(str) + " | raw: " + rows["raw"].astype(str)
    return rows[QUARANTINE_COLUMNS]


def _report(
    raw: pd.DataFrame,
    matches: pd.DataFrame,
    quarantine: pd.DataFrame,
    per_file: pd.DataFrame,
    as_of: dt.date,
    max_bad_row_share: float,
) -> dict[str, Any]:
    dropped = quarantine[quarantine["severity"] == DROPPED]
    repaired = quarantine[quarantine["severity"] == REPAIRED]
    reasons = dropped["reason"].str.split("; ").explode().value_counts()
    counts = matches.groupby([c.LEAGUE, c.SEASON]).size()
    per_league_season: dict[str, dict[str, int]] = {}
    for row in counts.reset_index(name="n").itertuples(index=False):
        per_league_season.setdefault(str(row[0]), {})[str(row[1])] = int(row[2])
    return {
        "as_of": as_of.isoformat(),
        "rows_in": len(raw),
        "rows_out": len(matches),
        "finished": int((matches[c.STATUS] == c.FINISHED).sum()),
        "scheduled": int((matches[c.STATUS] == c.SCHEDULED).sum()),
        "dropped": len(dropped),
        "repaired": len(repaired),
        "dropped_by_reason": {str(k): int(v) for k, v in reasons.items()},
        "gates": {
            "duplicate_match_ids": 0,
            "max_bad_row_share": max_bad_row_share,
            "worst_file_share": float(per_file["share"].max()),
            "worst_file": str(per_file["share"].idxmax()),
        },
        "files_with_quarantined_rows": {
            str(f): {"rows": int(r.rows), "dropped": int(r.dropped)}
            for f, r in per_file[per_file["dropped"] > 0].iterrows()
        },
        "matches_per_league_season": per_league_season,
        "first_kickoff": str(matches[c.KICKOFF].min()),
        "last_kickoff": str(matches[c.KICKOFF].max()),
    }
