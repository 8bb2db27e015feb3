"""The Prometheus alert rules: valid for promtool, unit-tested, and naming real metrics."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.data.io import write_json
from matchcast.monitoring.drift import DriftThresholds, drift_report
from matchcast.monitoring.live_quality import live_quality_report

RULES_DIR = Path(__file__).resolve().parents[3] / "deploy" / "prometheus"
RULES = RULES_DIR / "alerts.yml"
RULE_TESTS = RULES_DIR / "alerts_test.yml"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

STRING = r'"(?:[^"\\]|\\.)*"'
SELECTOR = re.compile(rf"(?P<name>[A-Za-z_:][\w:]*)\s*\{{(?P<body>(?:[^{{}}\"]|{STRING})*)\}}")
MATCHER = re.compile(rf"(?P<label>\w+)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>{STRING})")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
IDENTIFIER = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)\b(?!\s*\()")
KEYWORDS = {"and", "or", "unless", "bool", "offset"}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if IN_CI:
            pytest.fail("promtool is missing (CI=true): install Debian's prometheus package")
        pytest.skip("promtool is not installed")
    return found


def expressions() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Every metric an expression names, with its label matchers (label, op, value)."""
    found = []
    for match in SELECTOR.finditer(expr):
        matchers = [
            (m["label"], m["op"], m["value"][1:-1]) for m in MATCHER.finditer(match["body"])
        ]
        found.append((match["name"], matchers))
    bare = SELECTOR.sub(" ", expr)
    bare = GROUPING.sub(" ", re.sub(STRING, " ", re.sub(r"\[[^\]]*\]", " ", bare)))
    found += [(name, []) for name in IDENTIFIER.findall(bare) if name not in KEYWORDS]
    return found


def test_the_parser_sees_every_metric_and_matcher() -> None:
    expr = (
        'sum by (instance, le) (rate(a_total{route="/p/{id}", status=~"5.."}[5m])) / b'
        " > 2 * 3600 and on(job) c_seconds"
    )
    assert selectors(expr) == [
        ("a_total", [("route", "=", "/p/{id}"), ("status", "=~", "5..")]),
        ("b", []),
        ("c_seconds", []),
    ]


def test_promtool_accepts_the_rules() -> None:
    done = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(expressions())} rules found" in done.stdout


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    done = subprocess.run(
        [promtool(), "test", "rules", str(RULE_TESTS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=RULES_DIR,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def scrape(tmp_path: Path) -> dict[str, list[dict[str, str]]]:
    """Label sets of every sample of a live /metrics scrape, monitor reports loaded."""
    files, _, predictions = write_serving_files(tmp_path)
    files = replace(files, live_quality=tmp_path / "live.json", drift=tmp_path / "drift.json")
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([4.0, 2.5, 3.0], size=40)
    y = rng.integers(0, 3, 40)
    scored = pd.DataFrame(
        {
            "match_id": [f"m{i}" for i in range(40)],
            "league": "E0",
            "date": pd.date_range("2025-09-01", periods=40, freq="D"),
            "result": np.array(["H", "D", "A"])[y],
            "y": y,
            "model_version": "1",
            **{k: probs[:, i] for i, k in enumerate(("p_home", "p_draw", "p_away"))},
            **{
                k: probs[::-1, i]
                for i, k in enumerate(("market_home", "market_draw", "market_away"))
            },
        }
    )
    write_json(live_quality_report(scored, as_of="2025-10-11"), tmp_path / "live.json")
    features = pd.DataFrame(
        {
            "match_id": [f"x{i}" for i in range(80)],
            "league": "E0",
            "status": ["finished"] * 40 + ["scheduled"] * 40,
            "date": [pd.Timestamp("2025-03-05")] * 40 + [pd.Timestamp("2026-03-05")] * 40,
            "f_a": rng.normal(0, 1, 80),
        }
    )
    current = features.iloc[40:][["match_id"]].assign(p_home=0.5, p_draw=0.25, p_away=0.25)
    reference = features.iloc[:40][["match_id", "league", "date"]].assign(
        p_home=0.5, p_draw=0.25, p_away=0.25
    )
    report, _, _ = drift_report(
        features, current, ["f_a"], reference, "2026-03-01", DriftThresholds(), 1
    )
    write_json(report, tmp_path / "drift.json")
    # following a store's batches (ADR-0021) adds matchcast_forecast_batch_version
    config = ServeConfig(
        files=files, reload_interval_s=0, batch_store_url=f"sqlite:///{tmp_path / 'store.db'}"
    )
    with TestClient(create_app(config)) as client:
        assert client.get(f"/predict/{predictions['match_id'].iloc[0]}").status_code == 200
        text = client.get("/metrics").text
    out: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(dict(sample.labels))
    return out


def test_every_metric_an_alert_names_is_exported_by_the_app(tmp_path: Path) -> None:
    exported = scrape(tmp_path)
    checked = set()
    for alert, expr in expressions().items():
        for name, matchers in selectors(expr):
            assert name in exported, f"{alert}: the app exports no metric {name!r}"
            label_sets = exported[name]
            for label, op, value in matchers:
                if op == "=" and value == "":
                    continue  # matches series without the label
                assert any(label in labels for labels in label_sets), (
                    f"{alert}: {name} has no label {label!r}"
                )
                if op == "=":
                    assert any(labels.get(label) == value for labels in label_sets), (
                        f"{alert}: {name} never has {label}={value!r}"
                    )
            checked.add(name)
    assert {
        "matchcast_predictions_loaded",
        "matchcast_http_request_duration_seconds_bucket",
        "matchcast_live_log_loss_gap",
        "matchcast_drift_features_over_threshold",
    } <= checked
