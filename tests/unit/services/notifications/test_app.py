import httpx

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from tests.unit.services.notifications.fakes import FakeMailer


def client_for(sqlite_url: str) -> httpx.AsyncClient:
    # The lifespan is not run: the broker stays stopped, as when Kafka is unreachable.
    app = create_app(NotificationsSettings(DATABASE_URL=sqlite_url), mailer=FakeMailer())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


class TestOperationsEndpoints:
    async def test_liveness_answers_without_dependencies(self, sqlite_url: str) -> None:
        async with client_for(sqlite_url) as client:
            response = await client.get("/healthz")

        assert response.status_code == 200

    async def test_readiness_names_the_unreachable_dependency(self, sqlite_url: str) -> None:
        async with client_for(sqlite_url) as client:
            response = await client.get("/readyz")

        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["database"] == "ok"
        assert checks["smtp"] == "ok"
        assert checks["kafka"].startswith("unreachable")

    async def test_metrics_expose_the_notification_counters(self, sqlite_url: str) -> None:
        async with client_for(sqlite_url) as client:
            response = await client.get("/metrics")

        assert response.status_code == 200
        for name in (
            "eig_notifications_sent_total",
            "eig_notifications_skipped_duplicates_total",
            "eig_notifications_smtp_failures_total",
            "eig_notifications_dead_lettered_total",
        ):
            assert name in response.text
