"""``INTERNAL_PORT``: which paths each listener answers, told by the port a request came in on
(the process itself on two real ports: tests/integration/libs/test_internal_listener.py)."""

import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from deploy.local.engines import free_port
from libs.config import PlatformSettings
from libs.http_service import InternalPaths, Listeners, create_service_app, listeners
from tests.unit.libs.test_request_duration import NoParts
from workflows.settings import WorkflowsSettings
from workflows.worker import _health_server

PUBLIC, INTERNAL = 8000, 9000


def service_app() -> FastAPI:
    return create_service_app(title="t", summary="s", parts=NoParts(), checks={})


async def statuses(app: InternalPaths, port: int, paths: tuple[str, ...]) -> dict[str, int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://test:{port}") as http:
        return {path: (await http.get(path)).status_code for path in paths}


@pytest.fixture
def bound() -> Iterator[list[socket.socket]]:
    """Sockets a test bound, closed after it."""
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


class TestInternalPaths:
    OPERATIONS = ("/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")

    async def test_the_public_port_answers_404_in_the_error_format(self) -> None:
        app = InternalPaths(service_app(), INTERNAL)

        assert await statuses(app, PUBLIC, self.OPERATIONS) == dict.fromkeys(self.OPERATIONS, 404)
        assert await statuses(app, PUBLIC, ("/healthz",)) == {"/healthz": 200}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://t:{PUBLIC}") as http:
            assert (await http.get("/metrics")).json() == {"detail": "Not Found", "errors": []}

    async def test_the_internal_port_answers_everything(self) -> None:
        app = InternalPaths(service_app(), INTERNAL)
        paths = (*self.OPERATIONS, "/healthz")

        assert await statuses(app, INTERNAL, paths) == dict.fromkeys(paths, 200)


class TestListeners:
    def test_without_an_internal_port_uvicorn_binds_the_one_address(self) -> None:
        app = service_app()

        assert listeners(app, host="127.0.0.1", port=PUBLIC, settings=PlatformSettings()) == (
            Listeners(app, "127.0.0.1", PUBLIC)
        )

    def test_the_internal_port_cannot_be_the_public_one(self) -> None:
        settings = PlatformSettings(INTERNAL_PORT=PUBLIC)

        with pytest.raises(ValueError, match=f"INTERNAL_PORT={PUBLIC} is the public port"):
            listeners(service_app(), host="127.0.0.1", port=PUBLIC, settings=settings)

    def test_both_ports_are_bound_for_one_server(self, bound: list[socket.socket]) -> None:
        public, internal = free_port(), free_port()
        settings = PlatformSettings(INTERNAL_PORT=internal)

        served = listeners(service_app(), host="127.0.0.1", port=public, settings=settings)
        bound.extend(served.sockets or [])

        assert isinstance(served.app, InternalPaths)
        assert [sock.getsockname() for sock in bound] == [
            ("127.0.0.1", public),
            ("127.0.0.1", internal),
        ]

    async def test_the_workflows_health_server_keeps_its_document_internal(
        self, bound: list[socket.socket]
    ) -> None:
        public, internal = free_port(), free_port()
        settings = WorkflowsSettings(WORKFLOWS_PORT=public, INTERNAL_PORT=internal)

        server = _health_server(settings, {})
        bound.extend(server.listening_sockets or [])

        app = server.config.app
        assert isinstance(app, InternalPaths)
        paths = ("/openapi.json", "/readyz", "/metrics", "/healthz")
        assert await statuses(app, public, paths) == {
            "/openapi.json": 404,
            "/readyz": 404,
            "/metrics": 404,
            "/healthz": 200,
        }
        assert await statuses(app, internal, paths) == dict.fromkeys(paths, 200)
