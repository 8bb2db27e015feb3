"""Read every configured source into one frame of canonical rows, with a per-file report."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from matchcast.data.identity import drop_superseded_fixtures
from matchcast.data.normalize import season_code
from matchcast.data.params import DataParams
from matchcast.data.sources.csvtext import DROPPED, REPAIRED, RawTable, empty_issues
from matchcast.data.sources.fetch import Fetcher, is_remote, join
from matchcast.data.sources.football_data import (
    SOURCE_EXTRA,
    SOURCE_FIXTURES,
    SOURCE_MAIN,
    canonicalize,
    read_rows,
)
from matchcast.data.sources.generic import read_generic_rows, to_canonical_generic

logger = logging.getLogger(__name__)

Reader = Callable[[bytes], RawTable]


class EmptySourceError(RuntimeError):
    """A configured source produced no rows at all."""


@dataclass(frozen=True)
class SourceFile:
    """One file to read: where it is, how to parse it, and whether it may change upstream."""

    kind: str  # "division", "extra", "fixtures", "generic"
    relative: str  # provenance name, e.g. "mmz4281/2425/E0.csv"
    location: str  # URL or local path
    read: Reader
    mutable: bool
    required: bool  # a missing required file is an error; a missing season is a fact


@dataclass(frozen=True)
class IngestResult:
    """Canonical rows of every file, the row issues found while parsing, and a report."""

    matches: pd.DataFrame
    issues: pd.DataFrame
    report: dict[str, Any]


def _read_division(
    payload: bytes, source_file: str, league: str | None, season: str | None
) -> RawTable:
    return read_rows(payload, source_file, league, season)


def _read_generic(payload: bytes, source_file: str) -> RawTable:
    return read_generic_rows(payload, source_file)


def plan_sources(params: DataParams) -> list[SourceFile]:
    """List every file the configuration asks for, oldest season first."""
    base = params.football_data
    current = params.current_season()
    files: list[SourceFile] = []
    for season in params.season_labels():
        for league in params.leagues:
            relative = f"mmz4281/{season_code(season)}/{league}.csv"
            files.append(
                SourceFile(
                    kind="division",
                    relative=relative,
                    location=join(base, relative),
                    read=partial(
                        _read_division, source_file=relative, league=league, season=season
                    ),
                    mutable=season >= current,
                    required=False,
                )
            )
    for country in params.extra_leagues:
        relative = f"new/{country}.csv"
        files.append(
            SourceFile(
                kind="extra",
                relative=relative,
                location=join(base, relative),
                read=partial(_read_division, source_file=relative, league=country, season=None),
                mutable=True,
                required=True,
            )
        )
    if params.fixtures:
        location = (
            params.fixtures if isinstance(params.fixtures, str) else join(base, "fixtures.csv")
        )
        files.append(
            SourceFile(
                kind="fixtures",
                relative="fixtures.csv"
                if not isinstance(params.fixtures, str)
                else params.fixtures,
                location=location,
                read=partial(_read_division, source_file=location, league=None, season=None),
                mutable=True,
                # The site's own fixtures file may be absent (a frozen archive); a path or
                # URL given explicitly must exist.
                required=isinstance(params.fixtures, str),
            )
        )
    for location in params.generic:
        files.append(
            SourceFile(
                kind="generic",
                relative=location,
                location=location,
                read=partial(_read_generic, source_file=location),
                mutable=True,
                required=True,
            )
        )
    return files


def _read_one(
    fetcher: Fetcher, source: SourceFile, refresh: bool
) -> tuple[SourceFile, bytes | None]:
    return source, fetcher.fetch(source.location, revalidate=refresh and source.mutable)


def ingest(params: DataParams, fetcher: Fetcher) -> IngestResult:
    """Fetch and parse every configured file.

    Missing season files are recorded (the archive has real holes); a missing extra-league,
    fixtures or generic file, or a configuration that yields no rows, raises.

    Raises:
        EmptySourceError: A required file is missing or empty, or nothing was read at all.
    """
    sources = plan_sources(params)
    workers = 8 if is_remote(params.football_data) else 4
    with ThreadPoolExecutor(max_workers=workers) as pool:
        fetched = list(
            pool.map(lambda s: _read_one(fetcher, s, params.refresh_current_season), sources)
        )
    fetcher.save_index()

    raw_by_kind: dict[str, list[pd.DataFrame]] = {}
    issues: list[pd.DataFrame] = []
    files: list[dict[str, Any]] = []
    missing: list[str] = []
    for source, payload in fetched:
        if payload is None:
            if source.required:
                raise EmptySourceError(f"required source {source.location} does not exist")
            missing.append(source.relative)
            continue
        table = source.read(payload)
        if table.frame.empty:
            if source.required:
                raise EmptySourceError(f"source {source.location} holds no rows")
            logger.warning("%s holds no data rows", source.relative)
        raw_by_kind.setdefault(source.kind, []).append(table.frame)
        if not table.issues.empty:
            issues.append(table.issues)
        files.append(
            {
                "file": source.relative,
                "kind": source.kind,
                "rows": len(table.frame),
                "encoding": table.encoding,
                "bom": table.had_bom,
                "crlf": table.crlf,
                "blank_lines": table.blank_lines,
                "repaired_rows": int((table.issues["severity"] == REPAIRED).sum()),
                "dropped_rows": int((table.issues["severity"] == DROPPED).sum()),
                "header_columns": len(table.header),
            }
        )
    frames = [
        _canonical(kind, [f for f in raw if not f.empty], params.calendars)
        for kind, raw in raw_by_kind.items()
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        labels = params.season_labels()  # may be empty: an inverted range or an empty list
        seasons = f"{labels[0]}..{labels[-1]}" if labels else "(none)"
        raise EmptySourceError(
            f"no rows read from {params.football_data} for leagues {params.leagues} "
            f"and seasons {seasons}"
        )
    matches = pd.concat(frames, ignore_index=True)
    matches = drop_superseded_fixtures(matches)
    report = {
        "source": params.football_data,
        "files_read": len(files),
        "files_missing": missing,
        "rows": len(matches),
        "fetch": fetcher.stats.as_dict(),
        "files": files,
    }
    all_issues = pd.concat(issues, ignore_index=True) if issues else empty_issues()
    logger.info(
        "ingested %d rows from %d files (%d missing) — %s",
        len(matches),
        len(files),
        len(missing),
        fetcher.stats.as_dict(),
    )
    return IngestResult(matches, all_issues, report)


def _canonical(
    kind: str, raw: list[pd.DataFrame], calendars: Mapping[str, str | int]
) -> pd.DataFrame:
    if not raw:
        return pd.DataFrame()
    rows = pd.concat(raw, ignore_index=True)
    if kind == "generic":
        return to_canonical_generic(rows, calendars=calendars)
    source = {"division": SOURCE_MAIN, "extra": SOURCE_EXTRA, "fixtures": SOURCE_FIXTURES}[kind]
    return canonicalize(rows, source, extra=kind == "extra")
