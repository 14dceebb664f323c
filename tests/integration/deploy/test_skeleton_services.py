"""Selection and contracts report themselves ready only when the database and Temporal answer.

Selection's Kafka read model is switched off here: its readiness with Kafka is covered in
tests/integration/services/selection and by the end-to-end suite."""

import httpx
import pytest
from fastapi import FastAPI

from deploy.local.engines import free_port
from services.contracts.app import create_app as create_contracts_app
from services.contracts.settings import ContractsSettings
from services.selection.app import create_app as create_selection_app
from services.selection.settings import SelectionSettings
from tests.eventually import eventually

pytestmark = pytest.mark.integration

SERVICES = ("selection", "contracts")


def create_app(service: str, database_url: str, temporal_address: str) -> FastAPI:
    if service == "selection":
        return create_selection_app(
            SelectionSettings(
                _env_file=None,
                DATABASE_URL=database_url,
                TEMPORAL_ADDRESS=temporal_address,
                SELECTION_READ_MODEL_ENABLED=False,
            )
        )
    return create_contracts_app(
        ContractsSettings(
            _env_file=None,
            DATABASE_URL=database_url,
            TEMPORAL_ADDRESS=temporal_address,
            CONTRACTS_READ_MODEL_ENABLED=False,
        )
    )


def client_for(service: str, database_url: str, temporal_address: str) -> httpx.AsyncClient:
    app = create_app(service, database_url, temporal_address)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.parametrize("service", SERVICES)
class TestReadiness:
    async def test_ready_when_database_and_temporal_answer(
        self, service, database_url, temporal_dev_server
    ):
        address = temporal_dev_server.client.service_client.config.target_host

        async with client_for(service, database_url, address) as client:
            health = await client.get("/healthz")
            readiness = await client.get("/readyz")

        assert health.status_code == 200
        assert readiness.status_code == 200
        assert readiness.json() == {
            "status": "ready",
            "checks": {"database": "ok", "temporal": "ok"},
        }

    async def test_not_ready_while_temporal_is_unreachable(self, service, sqlite_url):
        nothing_listens = f"127.0.0.1:{free_port()}"

        answers: list[httpx.Response] = []

        async def database_answered() -> bool:
            # A first connection can outlast the probe's bound on a busy machine: the database
            # is ready once it answered in time, Temporal is never.
            answers.append(await client.get("/readyz"))
            return bool(answers[-1].json()["checks"]["database"] == "ok")

        async with client_for(service, sqlite_url, nothing_listens) as client:
            await eventually(database_answered, timeout=60, interval=0.2)

        assert {answer.status_code for answer in answers} == {503}
        assert all(
            answer.json()["checks"]["temporal"].startswith("unreachable") for answer in answers
        )

    async def test_unknown_paths_answer_in_the_shared_error_format(self, service, sqlite_url):
        async with client_for(service, sqlite_url, "127.0.0.1:1") as client:
            response = await client.get("/no-such-page")

        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found", "errors": []}

    async def test_metrics_are_exposed_for_prometheus(self, service, sqlite_url):
        async with client_for(service, sqlite_url, "127.0.0.1:1") as client:
            response = await client.get("/metrics")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
