"""Operations on the running stack: ``python -m deploy.status`` reads every source, a poison
message shows in its dead-letter topics and is discarded from the CLI (audited), and a real
Prometheus scrapes every process with the alert rules loaded and the dashboard's series there."""

import asyncio
import contextlib
import io
import json
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy.local.engines import free_port
from deploy.local.launcher import REPO_ROOT
from deploy.status.__main__ import main as status_main
from libs.messages.topics import (
    CONSUMED_TOPICS,
    DOSSIER_EVENTS,
    INTAKE_STATUS_VIEW_DLQ,
    NOTIFICATIONS_DLQ,
    SELECTION_READ_MODEL_DLQ,
)
from tests.e2e.test_application_journey import CANDIDATES, candidate_form, mails_to
from tests.eventually import eventually
from tests.local_stack import RunningStack
from tests.unit.deploy.test_monitoring_config import dashboard_queries, metric_names

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "selection", "contracts", "notifications", "workflows")
PLATFORM_SETTINGS = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "TEMPORAL_ADDRESS", "SMTP_PORT")


@dataclass(frozen=True)
class Journey:
    dossier_id: str
    address: str


@pytest.fixture(scope="module")
async def journey(stack: RunningStack, http: httpx.AsyncClient) -> Journey:
    """One candidate who applies, gets the acknowledgement and withdraws (the workflow ends)."""
    address = f"ops.{uuid.uuid4().hex[:8]}@example.fr"
    response = await http.post(stack.urls["intake"] + CANDIDATES, json=candidate_form(address))
    assert response.status_code == 202, response.text
    accepted = response.json()
    await eventually(lambda: _async(mails_to(Path(stack.state["maildir"]), address)), timeout=60)
    [token] = parse_qs(urlsplit(accepted["status_url"]).query)["token"]

    async def withdrawn() -> bool:
        answer = await http.post(
            f"{stack.urls['intake']}/api/v1/dossiers/{accepted['dossier_id']}/withdraw",
            params={"token": token},
        )
        return answer.status_code == 200

    await eventually(withdrawn, timeout=60, interval=0.5)
    return Journey(accepted["dossier_id"], address)


async def status_cli(stack: RunningStack, *args: str) -> tuple[int, str]:
    environment = {k: v for k, v in os.environ.items() if k not in PLATFORM_SETTINGS}
    environment["DATA_DIR"] = stack.state["data_dir"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.status",
        *args,
        cwd=REPO_ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    assert process.returncode in (0, 1), err.decode()
    return process.returncode, out.decode()


async def status_here(
    stack: RunningStack, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    """The CLI's ``main`` in this process: the same code as ``status_cli`` without an
    interpreter start-up per call (seconds each on a busy machine)."""
    for name in PLATFORM_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", stack.state["data_dir"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = await status_main(list(args))
    return code, out.getvalue()


async def report(stack: RunningStack) -> tuple[int, dict[str, Any]]:
    code, out = await status_cli(stack, "--json")
    document: dict[str, Any] = json.loads(out)
    return code, document


class TestStatus:
    async def test_every_source_is_read_from_the_stack(
        self, stack: RunningStack, journey: Journey
    ) -> None:
        async def with_the_journey() -> tuple[int, dict[str, Any]] | None:
            code, document = await report(stack)
            emails = document["emails"]
            done = emails["sent"].get("withdrawn/candidate") and emails["delay_p95_seconds"]
            return (code, document) if done else None

        found = await eventually(with_the_journey, timeout=90, interval=1)
        assert found is not None
        code, document = found

        assert (code == 1) == (document["level"] in ("stuck", "unknown"))
        for section in ("outbox", "consumer_lag", "dead_letters", "workflows", "deadlines"):
            assert document[section]["error"] is None, (section, document[section])
        assert {s["name"]: s["status"] for s in document["readiness"]["services"]} == dict.fromkeys(
            SERVICES, "ready"
        )
        groups = {group["group"]: group for group in document["consumer_lag"]["groups"]}
        assert set(groups) == set(CONSUMED_TOPICS)
        assert groups["workflows-bridge"]["partitions"], "the bridge's partitions are measured"
        counts = {(c["kind"], c["status"]): c["count"] for c in document["workflows"]["counts"]}
        assert counts[("candidate", "withdrawn")] >= 1
        assert document["emails"]["smtp_reachable"] is True
        assert document["emails"]["sent"]["received/candidate"] >= 1
        assert document["reconciler"]["last_run_at"] is not None
        assert journey.address not in json.dumps(document)

    async def test_a_poison_message_shows_in_its_dead_letter_topics_until_discarded(
        self, stack: RunningStack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.urls["kafka"], acks="all")
        await producer.start()
        try:
            sent = await producer.send_and_wait(DOSSIER_EVENTS, b"{not json", key=b"poison")
        finally:
            await producer.stop()
        origin = f"{sent.partition}:{sent.offset}"
        expected = {NOTIFICATIONS_DLQ, INTAKE_STATUS_VIEW_DLQ, SELECTION_READ_MODEL_DLQ}

        async def dead_lettered() -> dict[str, dict[str, Any]] | None:
            _, out = await status_here(
                stack, monkeypatch, "dead-letters", "list", "--json", "--newest", "50"
            )
            mine = {
                topic["topic"]: letter
                for topic in json.loads(out)["topics"]
                for letter in topic["newest"]
                if letter["source_topic"] == DOSSIER_EVENTS and letter["source_offset"] == origin
            }
            return mine if set(mine) == expected else None

        letters = await eventually(dead_lettered, timeout=90, interval=1)
        assert letters is not None
        for letter in letters.values():
            assert letter["key"] == "poison"
            assert letter["error"].startswith("ValidationError")
            assert letter["summary"] == {"unreadable": "9 bytes"}
        code, document = await report(stack)
        assert code == 1
        assert document["dead_letters"]["level"] == "stuck"
        shown = " ".join(p["message"] for p in document["dead_letters"]["problems"])
        assert all(topic in shown for topic in expected)

        for topic, letter in letters.items():
            position = f"{letter['partition']}:{letter['offset']}"
            code, out = await status_here(
                stack,
                monkeypatch,
                "dead-letters",
                "discard",
                topic,
                position,
                "--reason",
                "e2e poison",
            )
            assert code == 0 and out.startswith(f"discard: {topic} {position} by cli:")

        assert await dead_lettered() is None
        _, history = await status_here(stack, monkeypatch, "dead-letters", "history")
        assert sum("discard" in line and "e2e poison" in line for line in history.splitlines()) >= 3


# --- Prometheus ---


@pytest.fixture(scope="module")
async def prometheus(
    stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """Debian's Prometheus scraping every process of the stack each second, with the alerts."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: run `make install` (Debian package prometheus)")
    workdir = tmp_path_factory.mktemp("prometheus")
    targets = [
        {"targets": [urlsplit(stack.urls[name]).netloc], "labels": {"service": name}}
        for name in SERVICES
    ]
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(REPO_ROOT / "deploy" / "prometheus" / "alerts.yml")],
        "scrape_configs": [{"job_name": "eig", "static_configs": targets}],
    }
    (workdir / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        binary,
        f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as client:

            async def ready() -> bool:
                try:
                    return (await client.get(f"{base}/-/ready")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, timeout=60, interval=0.2)
        yield base
    finally:
        process.terminate()
        await process.wait()


class TestPrometheus:
    async def test_every_target_is_up_and_the_alert_rules_are_loaded(
        self, prometheus: str, http: httpx.AsyncClient
    ) -> None:
        async def all_up() -> dict[str, str] | None:
            targets = (await http.get(f"{prometheus}/api/v1/targets")).json()["data"]
            health = {t["labels"]["service"]: t["health"] for t in targets["activeTargets"]}
            return health if health == dict.fromkeys(SERVICES, "up") else None

        assert await eventually(all_up, timeout=60, interval=0.5)

        async def rules_evaluated() -> list[dict[str, Any]] | None:
            groups = (await http.get(f"{prometheus}/api/v1/rules")).json()["data"]["groups"]
            rules = [rule for group in groups for rule in group["rules"]]
            evaluated = all(rule.get("lastEvaluation", "").startswith("20") for rule in rules)
            return rules if rules and evaluated else None

        rules = await eventually(rules_evaluated, timeout=60, interval=0.5)
        assert rules is not None
        assert {rule["name"] for rule in rules} >= {"EigOutboxStuck", "EigTargetDown"}
        assert all(rule["health"] == "ok" for rule in rules), rules

    async def test_the_dashboard_and_alert_series_are_exported(
        self, prometheus: str, http: httpx.AsyncClient, journey: Journey
    ) -> None:
        wanted = set().union(*(metric_names(expr) for expr in dashboard_queries()))
        wanted |= {
            "kafka_consumergroup_lag",
            "intake_outbox_oldest_age_seconds",
            "temporal_activity_execution_latency_seconds_count",
            "faststream_received_messages_total",
        }

        async def scraped() -> set[str]:
            return set(
                (await http.get(f"{prometheus}/api/v1/label/__name__/values")).json()["data"]
            )

        async def everything_there() -> bool:
            return wanted <= await scraped()

        try:
            await eventually(everything_there, timeout=90, interval=1)
        except AssertionError:
            raise AssertionError(f"never scraped: {sorted(wanted - await scraped())}") from None
        lag = (
            await http.get(
                f"{prometheus}/api/v1/query",
                params={"query": 'kafka_consumergroup_lag{group="workflows-bridge"}'},
            )
        ).json()["data"]["result"]
        assert {series["metric"]["service"] for series in lag} == {"intake"}
        routes = (
            await http.get(
                f"{prometheus}/api/v1/label/route/values",
                params={"match[]": "http_request_duration_seconds_count"},
            )
        ).json()["data"]
        assert "/api/v1/dossiers/{dossier_id}/withdraw" in routes
        assert not any(journey.dossier_id in route for route in routes)


async def _async(value: Any) -> Any:
    return value
