"""JSON logs without personal data, Prometheus metrics, and health endpoints for every service."""

import asyncio
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
REDACTED_EMAIL = "<email>"

ReadinessCheck = Callable[[], Awaitable[object]]
"""Raises (or times out) when the dependency is unreachable."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line; e-mail addresses are masked as a last line of defence."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": EMAIL_PATTERN.sub(REDACTED_EMAIL, record.getMessage()),
        }
        if record.exc_info:
            entry["error"] = EMAIL_PATTERN.sub(
                REDACTED_EMAIL, self.formatException(record.exc_info)
            )
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Access logs carry query strings, and the applicant's private token is one.
    logging.getLogger("uvicorn.access").disabled = True
    # FastStream's logger prints coloured text on its own handler and does not propagate:
    # send it through the JSON handler instead.
    faststream_logger = logging.getLogger("faststream")
    faststream_logger.handlers.clear()
    faststream_logger.propagate = True
    for noisy in ("aiokafka", "temporalio.activity", "faststream.access.kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def health_router(
    checks: Mapping[str, ReadinessCheck],
    timeout_seconds: float = 2.0,
    optional: frozenset[str] = frozenset(),
) -> APIRouter:
    """``/healthz`` (process alive), ``/readyz`` (dependencies reachable), ``/metrics``.

    ``/readyz`` answers 503 ``not_ready`` when a required dependency fails, and 200 ``degraded``
    when only ``optional`` ones do: a service that can still do its main job (intake accepting
    applications into its outbox while Kafka is down) must stay in the load balancer.
    """
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: dependencies reachable")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout_seconds)
                results[name] = "ok"
            except Exception as error:  # noqa: BLE001 - any failure means not ready
                results[name] = f"unreachable: {type(error).__name__}"
        failed = {name for name, value in results.items() if value != "ok"}
        if not failed:
            status, code = "ready", 200
        elif failed <= optional:
            status, code = "degraded", 200
        else:
            status, code = "not_ready", 503
        return JSONResponse({"status": status, "checks": results}, status_code=code)

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
