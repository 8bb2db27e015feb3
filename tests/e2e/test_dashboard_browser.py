"""The dashboard in a real headless Chromium against a real ``matchcast serve`` process.

The page's numbers are compared with what the API answers for the same match; filters,
keyboard use, the model page (reliability diagram, tables, live quality both without and
with a report) and the console are checked; each page's screenshot is saved.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from tests.fixtures.sample import write_serving_files

from matchcast.data.io import write_json
from matchcast.monitoring.live_quality import live_quality_report, scored_predictions

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MATCHCAST = Path(sys.executable).with_name("matchcast")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium on this closed network must not try to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PICK = {"H": "Home win", "D": "Draw", "A": "Away win"}
LIVE_QUALITY = "/model/live-quality"


@dataclass
class Served:
    base: str
    root: Path
    matches: pd.DataFrame
    live_quality: Path
    artifacts: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(check: Callable[[], bool], timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("dashboard")
    files, matches, _ = write_serving_files(root)
    assert files.finished is not None and files.evaluation is not None
    port = _free_port()
    env = {
        **os.environ,
        "MATCHCAST_PREDICTIONS_PATH": str(files.predictions),
        "MATCHCAST_MODEL_METADATA_PATH": str(files.model),
        "MATCHCAST_MATCHES_PATH": str(files.matches),
        "MATCHCAST_FINISHED_PREDICTIONS_PATH": str(files.finished),
        "MATCHCAST_EVALUATION_PATH": str(files.evaluation),
        "MATCHCAST_LIVE_QUALITY_PATH": str(root / "live_quality.json"),
        "MATCHCAST_DRIFT_PATH": str(root / "drift.json"),
        "MATCHCAST_DATABASE_URL": f"sqlite:///{root / 'store.db'}",
        "MATCHCAST_RELOAD_INTERVAL_S": "0.3",
    }
    cmd = [str(MATCHCAST), "serve", "--port", str(port), "--no-local-worker"]
    proc = subprocess.Popen(
        cmd, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    artifacts = root / "screenshots"
    artifacts.mkdir()
    try:
        if not _wait(lambda: httpx.get(f"{base}/readyz").status_code == 200, 120):
            pytest.fail("server did not become ready")
        yield Served(base, root, matches, root / "live_quality.json", artifacts)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed (CI installs it in .ci/run)")
        pytest.skip("chromium is not installed")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


class Console:
    """Console errors and uncaught exceptions of a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._message)

    def _message(self, message: Any) -> None:
        if message.type != "error":
            return
        url = str(message.location.get("url", ""))
        # A 404 from /model/live-quality is its documented "no report yet" answer; the
        # browser logs every non-2xx fetch, so that one (and only that one) is expected.
        if url.endswith(LIVE_QUALITY) and "404" in message.text:
            return
        self.errors.append(f"{message.text} ({url})")


def open_page(browser: Any, url: str, width: int = 1280) -> tuple[Any, Any, Console]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    console = Console(page)
    page.goto(url)
    return context, page, console


def wait_for(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Poll ``expression`` in the page until it is true (Playwright's wait_for_function
    compiles its expression in the page, which the API's CSP, without 'unsafe-eval', forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression} still false after {timeout_s} s")
        page.wait_for_timeout(50)


def wait_matches(page: Any, after: int = 0) -> int:
    wait_for(page, f"Number(document.body.dataset.matchesLoaded || 0) > {after}")
    return int(page.evaluate("Number(document.body.dataset.matchesLoaded)"))


def api_page(base: str, page: Any) -> list[dict[str, Any]]:
    """What GET /matches answers for the filters the page shows."""
    values = page.evaluate(
        "['league','status','from','to'].map((id) => document.getElementById(id).value)"
    )
    params = {"limit": 50}
    for key, value in zip(("league", "status", "date_from", "date_to"), values, strict=True):
        if value:
            params[key] = value
    items: list[dict[str, Any]] = httpx.get(f"{base}/matches", params=params).json()["items"]
    return items


def row_texts(page: Any) -> list[dict[str, Any]]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('#rows tr')].map((tr) => ({
                id: tr.dataset.matchId, status: tr.dataset.status, league: tr.dataset.league,
                kick: tr.querySelector('.kick').textContent,
                segs: [...tr.querySelectorAll('.seg')].map((s) => s.textContent),
                pick: tr.querySelector('.pick')?.textContent ?? null,
                fair: tr.querySelector('.fair')?.textContent ?? null,
                market: tr.querySelector('.market')?.textContent ?? null,
                score: tr.querySelector('.score')?.textContent ?? null,
                verdict: tr.querySelector('.verdict')?.dataset.correct ?? null,
                result: tr.querySelector('.result').textContent,
                probs: tr.querySelector('.probs').textContent,
            }))"""
        )
    )


def odds_text(odds: dict[str, float] | None) -> list[float] | None:
    return None if odds is None else [odds["home"], odds["draw"], odds["away"]]


def test_the_first_screen_is_the_upcoming_matches_with_their_forecasts(
    browser: Any, served: Served
) -> None:
    context, page, console = open_page(browser, served.base + "/")
    try:
        wait_matches(page)
        rows = row_texts(page)
        expected = api_page(served.base, page)
        assert [r["id"] for r in rows] == [m["match_id"] for m in expected]
        assert rows and {r["status"] for r in rows} == {"scheduled"}
        with_forecast = [r for r, m in zip(rows, expected, strict=True) if m["has_prediction"]]
        assert len(with_forecast) >= len(rows) - 2  # the sample leaves two without one
        assert all(len(r["segs"]) == 3 and r["segs"][0].endswith("%") for r in with_forecast)
        # The header says the batch is a replay, and why.
        mode = page.locator("[data-testid=mode]")
        assert mode.text_content() == "replay of 2026-03-01"
        assert "frozen archive" in (mode.get_attribute("title") or "")
        assert not console.errors
    finally:
        context.close()


def test_matches_page_shows_the_forecasts_the_api_returns(browser: Any, served: Served) -> None:
    # All matches, around as_of (the old first screen): finished ones with their verdicts.
    around = "/?status=&from=2026-02-22&to=2026-03-15"
    context, page, console = open_page(browser, served.base + around)
    try:
        wait_matches(page)
        rows = row_texts(page)
        expected = api_page(served.base, page)
        assert [r["id"] for r in rows] == [m["match_id"] for m in expected]
        assert {r["status"] for r in rows} == {"scheduled", "finished"}
        shown = 0
        for row, match in zip(rows, expected, strict=True):
            if not match["has_prediction"]:
                assert row["segs"] == []
                continue
            forecast = httpx.get(served.base + match["prediction_url"]).json()
            percents = [float(s.rstrip("%")) for s in row["segs"]]
            probs = [forecast["p_home"], forecast["p_draw"], forecast["p_away"]]
            assert all(abs(s - 100 * p) <= 0.5 + 1e-9 for s, p in zip(percents, probs, strict=True))
            assert row["pick"] == PICK[forecast["predicted"]]
            fair = [float(x) for x in row["fair"].split(" · ")]
            assert fair == pytest.approx(odds_text(forecast["fair_odds"]), abs=0.006)
            market = odds_text(forecast["market_odds"])
            if market is None:
                assert row["market"] == "—"
            else:
                assert [float(x) for x in row["market"].split(" · ")] == pytest.approx(
                    market, abs=0.006
                )
            if match["status"] == "finished":
                assert forecast["status"] == "finished"
                assert row["verdict"] == str(forecast["correct"]).lower()
                assert row["score"] == f"{match['home_goals']}–{match['away_goals']}"
            shown += 1
        assert shown >= 15
        finished_without = [
            r for r, m in zip(rows, expected, strict=True)
            if m["status"] == "finished" and not m["has_prediction"]
        ]  # fmt: skip
        assert finished_without
        assert {r["probs"] for r in finished_without} == {"no forecast logged before kick-off"}
        assert {r["verdict"] for r in rows if r["verdict"]} == {"true", "false"}
        page.screenshot(path=str(served.artifacts / "matches.png"), full_page=True)
        assert not console.errors
    finally:
        context.close()


def test_a_row_expands_to_the_markets_the_api_returns(browser: Any, served: Served) -> None:
    context, page, console = open_page(browser, served.base + "/")
    try:
        wait_matches(page)
        match_id = page.evaluate(
            "document.querySelector('#rows button.expand').closest('tr').dataset.matchId"
        )
        button = page.locator(f'#rows tr[data-match-id="{match_id}"] button.expand')
        assert button.get_attribute("aria-expanded") == "false"
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        panel = page.locator(f'tr.markets-row[data-markets-for="{match_id}"]')
        markets = httpx.get(f"{served.base}/predict/{match_id}").json()["markets"]
        cells = panel.locator('[data-market="over_under"] tbody tr').all_inner_texts()
        shown = {c.split("\t")[0]: c.split("\t")[1] for c in cells}
        for x in markets["over_under"]:
            assert shown[str(x["line"])] == f"{100 * x['over']:.1f}%"
        scores = panel.locator('[data-market="correct_scores"] tbody th').all_inner_texts()
        assert scores == [f"{s['home']}–{s['away']}" for s in markets["correct_scores"]]
        xg = markets["expected_goals"]
        assert f"{xg['home']:.2f} – {xg['away']:.2f}" in panel.locator(".xg").inner_text()
        ah = panel.locator('[data-market="asian_handicap"] tbody tr').all_inner_texts()
        even = next(x for x in markets["asian_handicap"] if x["line"] == 0.0)
        assert ah[5] == f"0\t{even['home']['fair_odds']:.2f}\t{even['away']['fair_odds']:.2f}"
        page.screenshot(path=str(served.artifacts / "markets.png"), full_page=True)
        button.click()
        assert panel.count() == 0
        assert button.get_attribute("aria-expanded") == "false"
        assert not console.errors
    finally:
        context.close()


def test_filters_narrow_the_rows_to_league_and_dates(browser: Any, served: Served) -> None:
    context, page, console = open_page(browser, served.base + "/")
    try:
        generation = wait_matches(page)
        page.select_option("#status", "")
        page.click("#apply")
        generation = wait_matches(page, generation)
        everything = {r["id"] for r in row_texts(page)}
        page.select_option("#league", "E0")
        page.fill("#from", "2026-02-25")
        page.fill("#to", "2026-03-10")
        page.click("#apply")
        wait_matches(page, generation)
        rows = row_texts(page)
        matches = served.matches
        day = pd.to_datetime(matches["date"])
        expected = matches[
            (matches["league"] == "E0")
            & (day >= pd.Timestamp("2026-02-25"))
            & (day <= pd.Timestamp("2026-03-10"))
        ].sort_values("kickoff")
        assert [r["id"] for r in rows] == expected["match_id"].tolist()
        assert 0 < len(rows) < len(everything)
        assert {r["league"] for r in rows} == {"E0"}
        generation = wait_matches(page)
        page.select_option("#status", "finished")
        page.click("#apply")
        wait_matches(page, generation)
        finished = row_texts(page)
        assert [r["id"] for r in finished] == expected.loc[
            expected["status"] == "finished", "match_id"
        ].tolist()
        assert not console.errors
    finally:
        context.close()


def test_keyboard_reaches_tabs_and_filters_and_switches_view(browser: Any, served: Served) -> None:
    context, page, console = open_page(browser, served.base + "/")
    try:
        wait_matches(page)
        reached = []
        for _ in range(30):  # each date input takes three stops
            page.keyboard.press("Tab")
            reached.append(
                page.evaluate("document.activeElement.id || document.activeElement.tagName")
            )
        assert {"tab-matches", "tab-model", "league", "status", "from", "apply"} <= set(reached)
        visible = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert visible != "none"  # focus is visible
        page.focus("#tab-model")
        page.keyboard.press("Enter")
        wait_for(page, "document.body.dataset.modelLoaded === 'true'")
        assert page.is_visible("#view-model") and not page.is_visible("#view-matches")
        assert page.get_attribute("#tab-model", "aria-current") == "page"
        assert page.url.endswith("#model")
        assert not console.errors
    finally:
        context.close()


def test_matches_page_fits_a_phone_screen(browser: Any, served: Served) -> None:
    context, page, console = open_page(browser, served.base + "/", width=390)
    try:
        wait_matches(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("#rows .bar").first.bounding_box()["width"] > 200
        page.screenshot(path=str(served.artifacts / "matches-390.png"), full_page=True)
        assert not console.errors
    finally:
        context.close()


def points_in_data_space(page: Any) -> list[tuple[str, float, float]]:
    """Invert the diagram's scales: each mark's centre back to (forecast, observed)."""
    raw = page.evaluate(
        """() => {
            const svg = document.querySelector('#reliability svg');
            const [l, t, w, h] = svg.dataset.plot.split(',').map(Number);
            return [...svg.querySelectorAll('.pt')].map((p) => [p.dataset.outcome,
                (Number(p.dataset.cx) - l) / w, 1 - (Number(p.dataset.cy) - t) / h,
                p.getBBox().x + p.getBBox().width / 2, p.getBBox().y + p.getBBox().height / 2,
                Number(p.dataset.cx), Number(p.dataset.cy)]);
        }"""
    )
    for _, _, _, bx, by, cx, cy in raw:  # the drawn mark really sits where it says
        assert abs(bx - cx) < 1.5 and abs(by - cy) < 2.5
    return [(o, x, y) for o, x, y, *_ in raw]


def table_rows(page: Any, selector: str) -> list[list[str]]:
    return list(
        page.evaluate(
            f"""() => [...document.querySelectorAll('{selector} tbody tr')].map((tr) =>
                [...tr.children].map((c) => c.textContent))"""
        )
    )


def test_model_page_shows_diagram_tables_and_live_quality(browser: Any, served: Served) -> None:
    evaluation = httpx.get(served.base + "/model/evaluation").json()
    assert httpx.get(served.base + LIVE_QUALITY).status_code == 404
    context, page, console = open_page(browser, served.base + "/#model")
    try:
        wait_for(page, "document.body.dataset.modelLoaded === 'true'")
        points = points_in_data_space(page)
        bins = evaluation["calibration"]
        assert len(points) == len(bins)
        for outcome in "HDA":
            got = sorted((x, y) for o, x, y in points if o == outcome)
            want = sorted(
                (b["mean_predicted"], b["observed_rate"]) for b in bins if b["outcome"] == outcome
            )
            assert len(got) == len(want)
            for (gx, gy), (wx, wy) in zip(got, want, strict=True):
                assert (gx, gy) == pytest.approx((wx, wy), abs=1e-9)
        scores = {r[0]: r for r in table_rows(page, "#scores")}
        model_row = next(r for name, r in scores.items() if name.startswith("Model v1"))
        assert float(model_row[2]) == pytest.approx(evaluation["test"]["log_loss"], abs=5e-5)
        assert float(model_row[3]) == pytest.approx(evaluation["test"]["rps"], abs=5e-5)
        assert {"Class prior", "Elo", "Dixon–Coles"} <= set(scores)
        assert float(scores["Elo"][2]) == pytest.approx(
            evaluation["baselines"]["elo"]["log_loss"], abs=5e-5
        )
        leagues = table_rows(page, "#leagues")
        assert [r[0] for r in leagues] == [b["league"] for b in evaluation["per_league"]]
        assert page.is_visible("[data-testid=live-empty]")
        assert page.locator("#champion").inner_text().count("matchcast-1x2") == 1
        assert not console.errors

        # The monitor stage publishes a report: the page shows it on the next visit.
        log = pd.read_parquet(served.root / "finished.parquet").assign(id=lambda f: range(len(f)))
        log["features_as_of"] = pd.to_datetime(log["features_as_of"], utc=True)
        report = live_quality_report(scored_predictions(log, served.matches), as_of="2026-03-01")
        write_json(report, served.live_quality)
        assert _wait(lambda: httpx.get(served.base + LIVE_QUALITY).status_code == 200, 20)
        page.reload()
        wait_for(page, "document.body.dataset.modelLoaded === 'true'")
        overall = table_rows(page, "[data-testid=live-overall]")
        assert int(overall[0][1]) == report["overall"]["n"] > 0
        assert float(overall[0][3]) == pytest.approx(
            report["overall"]["model"]["log_loss"], abs=5e-5
        )
        weeks = table_rows(page, "[data-testid=live-weeks]")
        assert [r[0] for r in weeks] == [w["week"] for w in report["by_week"]]
        assert page.locator("#live svg polyline").count() == 2
        page.screenshot(path=str(served.artifacts / "model.png"), full_page=True)
        assert not console.errors
    finally:
        context.close()


def test_an_expanded_row_fits_a_phone_and_shows_the_market_aware_forecast(
    browser: Any, served: Served
) -> None:
    context, page, console = open_page(browser, served.base + "/", width=390)
    try:
        wait_matches(page)
        ids = page.evaluate(
            "[...document.querySelectorAll('#rows button.expand')]"
            ".map((b) => b.closest('tr').dataset.matchId)"
        )
        records = {i: httpx.get(f"{served.base}/predict/{i}").json() for i in ids}
        match_id = next(i for i, r in records.items() if r["market_aware"] is not None)
        page.locator(f'#rows tr[data-match-id="{match_id}"] button.expand').click()
        panel = page.locator(f'tr.markets-row[data-markets-for="{match_id}"]')
        aware = records[match_id]["market_aware"]
        text = panel.locator("[data-testid=market-aware]").inner_text()
        assert f"home {100 * aware['home']:.1f}%" in text
        assert f"away {100 * aware['away']:.1f}%" in text
        # The market tables stay tables on a phone: headers shown, a line's cells side by side.
        over_under = panel.locator('[data-market="over_under"]')
        assert over_under.locator("thead th").all_inner_texts() == ["Goals", "Over", "Under"]
        tops = [
            c.bounding_box()["y"]
            for c in over_under.locator("tbody tr").first.locator("th, td").all()
        ]
        assert len(tops) == 3 and max(tops) - min(tops) < 2
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(served.artifacts / "markets-390.png"), full_page=True)
        assert not console.errors
    finally:
        context.close()


def test_value_page_shows_the_backtests_and_bankroll_chart_on_a_phone(
    browser: Any, served: Served
) -> None:
    model = httpx.get(served.base + "/model").json()
    context, page, console = open_page(browser, served.base + "/#value", width=390)
    try:
        wait_for(page, "document.body.dataset.valueLoaded === 'true'")
        markets = model["value"]["markets"]
        verdicts = page.locator("[data-testid=verdicts] li").all_inner_texts()
        assert len(verdicts) == len(markets)
        assert all(b["verdict"] in v for b, v in zip(markets.values(), verdicts, strict=True))
        rows = table_rows(page, "#backtests")
        labels = {
            "1X2": "1x2",
            "Over/under 2.5": "over_under_2_5",
            "Asian handicap": "asian_handicap",
        }
        assert [r[0] for r in rows] == list(labels)  # a fixed order, whatever the JSON's
        for row in rows:
            shown = markets[labels[row[0]]]
            assert int(row[1]) == shown["bets"]
            assert float(row[5]) == pytest.approx(shown["kelly"]["final_bankroll"], abs=5e-4)
        assert page.locator("#bankroll svg polyline").count() == len(markets)
        aware = {r[0]: r for r in table_rows(page, "#aware")}
        scores = model["market_aware"]["forecasters"]
        assert float(aware["Market-aware"][1]) == pytest.approx(
            scores["market_aware"]["log_loss"], abs=5e-5
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(served.artifacts / "value-390.png"), full_page=True)
        assert not console.errors
    finally:
        context.close()
