"""Operations on the running stack: ``python -m deploy.status`` reads every source, a poison
message shows in its dead-letter topics, is replayed from the console's ops page and discarded
from the CLI (audited), and a real
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
from urllib.parse import urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import Page

from deploy.local.engines import free_port
from deploy.local.launcher import REPO_ROOT
from deploy.status.__main__ import main as status_main
from libs.dossier_links import Purpose
from libs.messages.topics import (
    CONSUMED_TOPICS,
    DOSSIER_EVENTS,
    INTAKE_STATUS_VIEW_DLQ,
    NOTIFICATIONS_DLQ,
    PUBLIC_RESULTS_DLQ,
    SELECTION_READ_MODEL_DLQ,
)
from tests.browser import assert_accessible, screenshot
from tests.e2e.test_application_journey import CANDIDATES, acknowledgements_to, candidate_form
from tests.eventually import eventually
from tests.local_stack import RunningStack
from tests.oidc_provider import sign_in_with_chromium
from tests.unit.deploy.test_monitoring_config import dashboard_queries, metric_names

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "selection", "contracts", "notifications", "workflows", "console")
PLATFORM_SETTINGS = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "TEMPORAL_ADDRESS", "SMTP_PORT")


@dataclass(frozen=True)
class Journey:
    dossier_id: str
    address: str


@pytest.fixture(scope="module")
async def journey(stack: RunningStack, http: httpx.AsyncClient) -> Journey:
    """One candidate who applies, gets the acknowledgement and withdraws (the workflow ends)."""
    address = f"ops.{uuid.uuid4().hex[:8]}@example.fr"
    accepted = await stack.apply(http, "candidates", candidate_form(address))
    await eventually(
        lambda: _async(acknowledgements_to(Path(stack.state["maildir"]), address)), timeout=60
    )
    token = stack.link_token(Purpose.WITHDRAW, accepted["dossier_id"])

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


async def sign_in_as_admin(page: Page, console: str, sub: str) -> None:
    """Through the test provider's form, as ``sub`` (an admin of tests/e2e/conftest.py)."""
    await sign_in_with_chromium(page, console, sub, next_path="/console/ops")


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

    async def test_a_poison_message_is_replayed_from_the_ops_page_then_discarded(
        self, stack: RunningStack, monkeypatch: pytest.MonkeyPatch, page: Page
    ) -> None:
        """The issue's drill: the poison message shows in its dead-letter topics with its
        error (CLI and console), an admin replays it from the page (it comes back, nothing
        was fixed), then the rest is discarded from the CLI; every action is audited."""
        producer = AIOKafkaProducer(bootstrap_servers=stack.urls["kafka"], acks="all")
        await producer.start()
        try:
            sent = await producer.send_and_wait(DOSSIER_EVENTS, b"{not json", key=b"poison")
        finally:
            await producer.stop()
        origin = f"{sent.partition}:{sent.offset}"
        expected = {
            NOTIFICATIONS_DLQ,
            INTAKE_STATUS_VIEW_DLQ,
            PUBLIC_RESULTS_DLQ,
            SELECTION_READ_MODEL_DLQ,
        }

        async def dead_lettered(
            source: str | None = None,
        ) -> dict[str, dict[str, Any]] | None:
            """The waiting dead letters of the message at ``source`` (the poison's by default),
            when each expected consumer has parked it."""
            _, out = await status_here(
                stack, monkeypatch, "dead-letters", "list", "--json", "--newest", "50"
            )
            mine = {
                topic["topic"]: letter
                for topic in json.loads(out)["topics"]
                for letter in topic["newest"]
                if letter["source_topic"] == DOSSIER_EVENTS
                and letter["source_offset"] == (source or origin)
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

        # The console's ops page, as an admin: the letter with its error, then a replay.
        notified = letters.pop(NOTIFICATIONS_DLQ)
        key = f"{NOTIFICATIONS_DLQ.replace('.', '-')}-{notified['partition']}-{notified['offset']}"
        console = stack.urls["console"]
        await sign_in_as_admin(page, console, "exploitation")
        card = page.locator(f"#letter-{key}")
        assert "ValidationError" in await card.inner_text()
        await screenshot(page, "e2e-console-ops-poison")
        await assert_accessible(page)
        await card.get_by_label("Raison (facultative)").fill("essai après correction")
        await card.get_by_role("button", name="Rejouer").click()
        await page.wait_for_url(f"{console}/console/ops?fait=replay#dead-letters", timeout=60_000)
        assert "Dominique Exploitation" in await page.locator("#ops-history").inner_text()

        # Nothing was fixed: every consumer parks the replayed copy again, from its new offset.
        async def replayed_copy() -> dict[str, dict[str, Any]] | None:
            _, out = await status_here(
                stack, monkeypatch, "dead-letters", "list", "--json", "--newest", "50"
            )
            for topic in json.loads(out)["topics"]:
                for letter in topic["newest"]:
                    source = letter["source_offset"]
                    if letter["key"] == "poison" and source != origin:
                        return await dead_lettered(source)
            return None

        copies = await eventually(replayed_copy, timeout=90, interval=1)
        assert copies is not None
        for topic, letter in [*letters.items(), *copies.items()]:
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
        lines = history.splitlines()
        assert sum("discard" in line and "e2e poison" in line for line in lines) >= 5
        assert sum("Dominique Exploitation" in line and "replay" in line for line in lines) == 1


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


# --- an outage, seen and recovered ---

BURST = 40


async def badge(page: Page) -> str:
    """The overall level's badge as written (the DSFR shows badges in capitals)."""
    return ((await page.locator("#ops-level").text_content()) or "").strip()


def bridge_lag(document: dict[str, Any]) -> int:
    groups = {group["group"]: group for group in document["consumer_lag"]["groups"]}
    return sum(row["lag"] for row in groups["workflows-bridge"]["partitions"])


def readiness_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {service["name"]: service for service in document["readiness"]["services"]}


class TestOutage:
    # Its waits add up past the suite's 300 s default on a busy machine: a slow recovery then
    # fails on the wait that saw it, with the last report, rather than on the suite's default.
    @pytest.mark.timeout(900)
    async def test_a_broker_outage_and_a_burst_are_seen_then_recovered_on_the_cli_and_page(
        self,
        stack: RunningStack,
        http: httpx.AsyncClient,
        monkeypatch: pytest.MonkeyPatch,
        page: Page,
    ) -> None:
        """Issue 12's drill: the broker dies (held down), a burst is accepted into the outbox,
        and the CLI and the ops page say where it waits and since when; the broker comes
        back while the worker (the bridge's consumer) is held down, so the backlog moves to
        the bridge's lag; the worker comes back, everything drains and the CLI exits 0."""

        async def here() -> tuple[int, dict[str, Any]]:
            code, out = await status_here(stack, monkeypatch, "--json")
            document: dict[str, Any] = json.loads(out)
            return code, document

        async def healthy() -> dict[str, Any] | None:
            code, document = await here()
            drained = document["outbox"]["pending"] == 0 and bridge_lag(document) == 0
            return document if code == 0 and drained else None

        # Other modules share the stack: start from a report with nothing stuck.
        await eventually(healthy, timeout=180, interval=1)
        try:
            broker_pid = stack.hold_down("kafka")

            async def outage() -> dict[str, Any] | None:
                code, document = await here()
                lag_unreadable = document["consumer_lag"]["level"] == "unknown"
                intake = readiness_of(document)["intake"]
                broker_failing = intake["checks"].get("kafka", "ok") != "ok"
                return document if code == 1 and lag_unreadable and broker_failing else None

            seen = await eventually(outage, timeout=120, interval=0.5)
            assert seen is not None
            # Intake keeps accepting (its outbox waits); Kafka's other readers are unreadable.
            assert readiness_of(seen)["intake"]["status"] == "degraded"
            assert seen["dead_letters"]["level"] == "unknown"
            pending_before = seen["outbox"]["pending"]

            addresses = [f"outage.{uuid.uuid4().hex[:8]}.{n}@example.fr" for n in range(BURST)]
            answers = await asyncio.gather(
                *(
                    http.post(stack.urls["intake"] + CANDIDATES, json=candidate_form(address))
                    for address in addresses
                )
            )
            assert [answer.status_code for answer in answers] == [202] * BURST

            async def backlog_in_outbox() -> dict[str, Any] | None:
                _, document = await here()
                waiting = document["outbox"]["pending"] >= pending_before + BURST
                return document if waiting and document["outbox"]["oldest_pending_at"] else None

            first = await eventually(backlog_in_outbox, timeout=60, interval=0.5)
            assert first is not None
            code, out = await status_cli(stack, "--json")  # the real command, as cron runs it
            assert code == 1
            stuck = json.loads(out)
            assert stuck["outbox"]["pending"] >= first["outbox"]["pending"]
            assert stuck["outbox"]["oldest_pending_at"] == first["outbox"]["oldest_pending_at"]
            assert "unreadable" in stuck["consumer_lag"]["problems"][0]["message"]
            assert any("intake degraded" in p["message"] for p in stuck["readiness"]["problems"])
            assert not any(address in out for address in addresses)

            # The ops page says the same, as an admin on call sees it.
            console = stack.urls["console"]
            await sign_in_as_admin(page, console, "astreinte")
            assert await badge(page) in ("Illisible", "Bloqué")
            shown = await page.locator("#ops-outbox-pending").inner_text()
            assert int("".join(filter(str.isdigit, shown))) >= pending_before + BURST
            summary = await page.locator("#ops-summary").inner_text()
            assert "intake degraded" in summary and "unreadable" in summary
            await screenshot(page, "e2e-console-ops-outage")
            await assert_accessible(page)

            # The broker back, the bridge's consumer still down: the backlog becomes its lag.
            worker_pid = stack.hold_down("workflows")
            stack.release("kafka")
            await stack.restarted("kafka", broker_pid)

            async def backlog_in_kafka() -> dict[str, Any] | None:
                _, document = await here()
                # Intake's rows (the burst): the worker's own rows wait for the worker to be back.
                relayed = document["outbox"]["pending_by_origin"].get("intake", 0) == 0
                lagging = document["consumer_lag"]["error"] is None and bridge_lag(document)
                return document if relayed and lagging and lagging >= BURST else None

            moved = await eventually(backlog_in_kafka, timeout=180, interval=1)
            assert moved is not None
            assert readiness_of(moved)["workflows"]["status"] == "unreachable"
            code, out = await status_cli(stack, "--json")
            assert code == 1
            assert bridge_lag(json.loads(out)) >= BURST
            await page.goto(f"{console}/console/ops")
            assert "workflows-bridge" in await page.locator("#ops-lag").inner_text()
            await screenshot(page, "e2e-console-ops-lag")

            stack.release("workflows")
            await stack.restarted("workflows", worker_pid)
        finally:
            stack.release("kafka")
            stack.release("workflows")

        # Everything drains: the CLI exits 0 again, the page no longer says stuck.
        recovered = await eventually(healthy, timeout=300, interval=1)
        assert recovered is not None
        assert readiness_of(recovered)["intake"]["status"] == "ready"
        code, out = await status_cli(stack, "--json")
        assert code == 0, out
        await page.goto(f"{console}/console/ops")
        assert await badge(page) in ("OK", "À surveiller")
        assert await page.locator("#ops-outbox-pending").inner_text() == "0"
