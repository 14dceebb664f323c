"""Where the report reads from: the platform's settings, or the running embedded stack's
``DATA_DIR/stack.json`` for whatever the environment does not set."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from libs.config import PlatformSettings
from libs.kafka_connection import KafkaConnection
from libs.temporal import TemporalSecurity

DEFAULT_SERVICE_URLS = {
    "intake": "http://127.0.0.1:8000",
    "selection": "http://127.0.0.1:8001",
    "contracts": "http://127.0.0.1:8002",
    "notifications": "http://127.0.0.1:8003",
    "workflows": "http://127.0.0.1:8004",
    "console": "http://127.0.0.1:8005",
}


class OperationsSettings(PlatformSettings):
    TEMPORAL_UI_URL: str = "http://127.0.0.1:8233"
    """Base of the links to each workflow in the Temporal web UI."""
    SERVICE_URLS: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SERVICE_URLS))
    """Name → base URL of each service whose ``/readyz`` is read (JSON in the environment)."""
    STATUS_TIMEOUT_SECONDS: float = 20.0
    """How long one source may take before it is reported unreadable."""
    STATUS_MAX_DESCRIBED_WORKFLOWS: int = 1000
    """Running workflows whose pending tasks are examined, at most."""


@dataclass(frozen=True)
class Sources:
    database_url: str
    kafka: KafkaConnection
    temporal_address: str
    temporal_namespace: str
    temporal_task_queue: str
    temporal_ui_url: str
    smtp_host: str
    smtp_port: int
    service_urls: Mapping[str, str] = field(default_factory=dict)
    temporal_security: TemporalSecurity = field(default_factory=TemporalSecurity)
    timeout_seconds: float = 20.0
    max_described_workflows: int = 1000

    @classmethod
    def from_settings(cls, settings: OperationsSettings) -> "Sources":
        """Settings, with the embedded stack's addresses for those the environment leaves
        unset when ``DATA_DIR/stack.json`` exists (``make run`` is running)."""
        stack = _stack(settings.DATA_DIR / "stack.json")
        urls: dict[str, Any] = stack.get("urls", {})
        explicit = settings.model_fields_set

        def pick(name: str, from_stack: object) -> Any:
            return getattr(settings, name) if name in explicit or not from_stack else from_stack

        smtp_host, smtp_port = settings.SMTP_HOST, settings.SMTP_PORT
        if "smtp" in urls and not {"SMTP_HOST", "SMTP_PORT"} & explicit:
            host, _, port = str(urls["smtp"]).rpartition(":")
            smtp_host, smtp_port = host, int(port)
        stack_services = {name: str(urls[name]) for name in DEFAULT_SERVICE_URLS if name in urls}
        return cls(
            database_url=pick("DATABASE_URL", stack.get("database_url")),
            kafka=KafkaConnection.from_settings(settings).with_servers(
                pick("KAFKA_BOOTSTRAP_SERVERS", urls.get("kafka"))
            ),
            temporal_address=pick("TEMPORAL_ADDRESS", urls.get("temporal")),
            temporal_namespace=settings.TEMPORAL_NAMESPACE,
            temporal_task_queue=settings.TEMPORAL_TASK_QUEUE,
            temporal_ui_url=pick("TEMPORAL_UI_URL", urls.get("temporal_ui")),
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            service_urls=pick("SERVICE_URLS", stack_services),
            temporal_security=TemporalSecurity.from_settings(settings),
            timeout_seconds=settings.STATUS_TIMEOUT_SECONDS,
            max_described_workflows=settings.STATUS_MAX_DESCRIBED_WORKFLOWS,
        )


def _stack(path: Path) -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return state
