"""``INTERNAL_PORT``: a service keeps readiness, metrics and its API documents off the public
listener and serves them on the internal one, both real sockets of one uvicorn server with one
lifespan (libs.http_service.listeners, what ``serve`` runs)."""

import asyncio
import contextlib
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import APIRouter

from deploy.local.engines import free_port
from libs.config import PlatformSettings
from libs.http_service import create_service_app, listeners
from tests.eventually import eventually

pytestmark = pytest.mark.integration

INTERNAL_ONLY = ("/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")
ON_BOTH = ("/healthz", "/api/v1/listener-test")

router = APIRouter()


@router.get("/api/v1/listener-test")
async def page() -> dict[str, str]:
    return {"served": "on both"}


class CountingParts:
    """A service's parts that count their starts and stops."""

    def __init__(self) -> None:
        self.starts = 0
        self.stops = 0

    async def start(self) -> None:
        self.starts += 1

    async def stop(self) -> None:
        self.stops += 1


class QuietServer(uvicorn.Server):
    """The test's loop owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def test_operations_and_documents_answer_on_the_internal_port_only() -> None:
    parts = CountingParts()
    app = create_service_app(
        title="Listener test", summary="s", parts=parts, checks={}, routers=[router]
    )
    public, internal = free_port(), free_port()
    settings = PlatformSettings(_env_file=None, INTERNAL_PORT=internal)
    served = listeners(app, host="127.0.0.1", port=public, settings=settings)
    server = QuietServer(served.config())
    serving = asyncio.create_task(server.serve(sockets=served.sockets))
    try:

        async def started() -> bool:
            return server.started

        await eventually(started, timeout=60)
        async with httpx.AsyncClient(timeout=10) as http:
            answers = {
                (port, path): await http.get(f"http://127.0.0.1:{port}{path}")
                for port in (public, internal)
                for path in (*INTERNAL_ONLY, *ON_BOTH)
            }
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=60)

    for path in INTERNAL_ONLY:
        refused = answers[public, path]
        assert refused.status_code == 404, path
        assert refused.json() == {"detail": "Not Found", "errors": []}, path
    assert {path: answers[public, path].status_code for path in ON_BOTH} == dict.fromkeys(
        ON_BOTH, 200
    )
    everything = (*INTERNAL_ONLY, *ON_BOTH)
    assert {path: answers[internal, path].status_code for path in everything} == dict.fromkeys(
        everything, 200
    )
    assert answers[internal, "/readyz"].json()["status"] == "ready"
    assert "http_request_duration_seconds" in answers[internal, "/metrics"].text
    assert answers[internal, "/openapi.json"].json()["info"]["title"] == "Listener test"
    # One server on both sockets: the parts started and stopped once.
    assert (parts.starts, parts.stops) == (1, 1)
