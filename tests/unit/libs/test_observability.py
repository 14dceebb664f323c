import json
import logging

import httpx
from fastapi import FastAPI

from libs.observability import JsonFormatter, health_router


class TestJsonLogs:
    def test_a_log_line_is_json_and_masks_email_addresses(self) -> None:
        record = logging.LogRecord(
            "intake", logging.INFO, __file__, 1, "sent to %s", ("jeanne@example.fr",), None
        )
        line = json.loads(JsonFormatter("intake").format(record))
        assert line["service"] == "intake"
        assert line["level"] == "info"
        assert "jeanne@example.fr" not in line["message"]
        assert "<email>" in line["message"]


class TestHealthEndpoints:
    async def test_readiness_reports_each_dependency(self) -> None:
        async def reachable() -> None:
            return None

        async def unreachable() -> None:
            raise ConnectionRefusedError

        app = FastAPI()
        app.include_router(health_router({"database": reachable, "kafka": unreachable}))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://test"
        ) as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"] == {
                "database": "ok",
                "kafka": "unreachable: ConnectionRefusedError",
            }
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200
            assert "python_info" in metrics.text


class TestDegradedReadiness:
    async def test_an_optional_dependency_down_leaves_the_service_degraded_but_in_service(
        self,
    ) -> None:
        async def reachable() -> None:
            return None

        async def unreachable() -> None:
            raise ConnectionRefusedError

        app = FastAPI()
        app.include_router(
            health_router(
                {"database": reachable, "kafka": unreachable}, optional=frozenset({"kafka"})
            )
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://test"
        ) as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"

    async def test_a_required_dependency_down_takes_the_service_out(self) -> None:
        async def unreachable() -> None:
            raise ConnectionRefusedError

        app = FastAPI()
        app.include_router(
            health_router(
                {"database": unreachable, "kafka": unreachable}, optional=frozenset({"kafka"})
            )
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://test"
        ) as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "not_ready"
