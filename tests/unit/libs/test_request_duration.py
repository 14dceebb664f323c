"""HTTP requests are timed by route template, never by the id in their path."""

from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest
from fastapi import APIRouter
from prometheus_client import REGISTRY

from libs.http_service import UNMATCHED_ROUTE, create_service_app

ROUTE = "/api/v1/request-duration-test/{dossier_id}"
router = APIRouter()


@router.get(ROUTE)
async def dossier(dossier_id: str) -> dict[str, str]:
    return {"dossier_id": dossier_id}


class NoParts:
    """A service with nothing to start: only its routes are timed here."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(title="t", summary="s", parts=NoParts(), checks={}, routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def timed(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status_code": status}
    return REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0.0


class TestRequestDuration:
    async def test_requests_are_counted_under_their_route_template(
        self, client: httpx.AsyncClient
    ) -> None:
        before = timed(ROUTE, "200")
        dossier_ids = [str(uuid4()) for _ in range(3)]

        for dossier_id in dossier_ids:
            assert (
                await client.get(f"/api/v1/request-duration-test/{dossier_id}")
            ).status_code == 200

        assert timed(ROUTE, "200") == before + 3
        exposed = {
            sample.labels.get("route", "")
            for family in REGISTRY.collect()
            if family.name == "http_request_duration_seconds"
            for sample in family.samples
        }
        assert not any(dossier_id in route for route in exposed for dossier_id in dossier_ids)

    async def test_unmatched_paths_share_one_label(self, client: httpx.AsyncClient) -> None:
        before = timed(UNMATCHED_ROUTE, "404")

        await client.get(f"/no/such/{uuid4()}")
        await client.get(f"/other/{uuid4()}")

        assert timed(UNMATCHED_ROUTE, "404") == before + 2
