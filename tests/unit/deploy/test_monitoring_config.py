"""Prometheus' configuration, alert rules (with their promtool unit tests) and the Grafana
dashboard's queries are valid, checked by Debian's promtool (``make install`` installs it)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "pipeline-overview.json"

PROMQL_WORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless"}
)


def promtool(*args: str | Path) -> str:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is missing: run `make install` (Debian package prometheus)")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [binary, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def dashboard_queries() -> list[str]:
    document = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in document["panels"] for target in panel["targets"]]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (label matchers, grouping clauses,
    strings and function calls left out)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        following = expr[match.end() :].lstrip()
        if not following.startswith("(") and match.group() not in PROMQL_WORDS:
            names.add(match.group())
    return names


class TestPrometheus:
    def test_the_configuration_and_its_rule_files_are_valid(self) -> None:
        assert "SUCCESS" in promtool("check", "config", PROMETHEUS / "prometheus.yml")

    def test_the_alert_rules_pass_their_unit_tests(self) -> None:
        promtool("check", "rules", PROMETHEUS / "alerts.yml")
        assert "SUCCESS" in promtool("test", "rules", PROMETHEUS / "alerts.test.yml")


class TestDashboard:
    def test_every_panel_has_a_title_a_unique_id_and_queries(self) -> None:
        panels = json.loads(DASHBOARD.read_text())["panels"]
        assert len({panel["id"] for panel in panels}) == len(panels)
        for panel in panels:
            assert panel["title"] and panel["targets"], panel
            assert all(target["expr"].strip() for target in panel["targets"]), panel["title"]

    def test_every_query_is_valid_promql(self, tmp_path: Path) -> None:
        # promtool parses rule expressions: each query becomes a recording rule.
        rules = {
            "groups": [
                {
                    "name": "dashboard",
                    "rules": [
                        {"record": f"dashboard:query_{index}", "expr": expr}
                        for index, expr in enumerate(dashboard_queries())
                    ],
                }
            ]
        }
        path = tmp_path / "dashboard-rules.json"
        path.write_text(json.dumps(rules))
        assert f"SUCCESS: {len(dashboard_queries())} rules found" in promtool(
            "check", "rules", path
        )

    def test_metric_names_are_read_out_of_queries(self) -> None:
        expr = (
            "histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket"
            '{job="eig"}[5m]))) / on (route) up'
        )
        assert metric_names(expr) == {"http_request_duration_seconds_bucket", "up"}
