"""The e-mail address confirmation (docs/adr/0024): an application starts its dossier only once
confirmed, exactly once; an expired one is refused, then purged with what intake kept of it."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlmodel import SQLModel, select

from libs.dossier_links import Purpose, confirm_url
from libs.outbox.models import OutboxMessage
from libs.web.csrf import CSRF_COOKIE
from services.intake.bootstrap import Intake, bootstrap
from services.intake.models import Application, IdempotencyRecord
from services.intake.purge import purge
from services.intake.repository import OutboxRepository, is_submission
from services.intake.service_layer import (
    ConfirmationState,
    confirm_application,
    confirmation_view,
    purge_unconfirmed,
    submit_application,
)
from services.intake.settings import ConfirmationSettings
from tests.eventually import eventually
from tests.html_forms import BROWSER_ACCEPT, FORM_POST, hidden
from tests.unit.services.intake.conftest import offline_settings
from tests.unit.services.intake.forms import (
    CANDIDATES,
    candidate_body,
    candidate_form,
    confirm_email,
    served,
)

DELAY = timedelta(hours=72)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def applied(intake: Intake, **options: Any) -> UUID:
    return (await submit_application(intake.sessions, candidate_form(), **options)).dossier_id


async def outbox_rows(intake: Intake) -> list[OutboxMessage]:
    async with intake.sessions() as session:
        return list((await session.exec(select(OutboxMessage))).all())


async def submissions(intake: Intake) -> list[OutboxMessage]:
    return [row for row in await outbox_rows(intake) if is_submission(row)]


async def stored(intake: Intake, dossier_id: UUID) -> Application | None:
    async with intake.sessions() as session:
        return await session.get(Application, dossier_id)


def page_path(intake: Intake, dossier_id: UUID | str) -> str:
    return confirm_url("", intake.link_keys, UUID(str(dossier_id)))


class TestConfirmation:
    async def test_confirming_records_it_and_writes_the_submission_once(
        self, intake: Intake
    ) -> None:
        dossier_id = await applied(intake)
        assert await submissions(intake) == []
        confirmed_before = metric("intake_applications_confirmed_total", kind="candidate")
        woken: list[bool] = []

        view = await confirm_application(
            intake.sessions, dossier_id, on_committed=lambda: woken.append(True)
        )

        assert view is not None
        assert (view.state, view.newly_confirmed) == (ConfirmationState.CONFIRMED, True)
        [row] = await submissions(intake)
        assert row.key == str(dossier_id)
        application = await stored(intake, dossier_id)
        assert application is not None and application.email_confirmed_at is not None
        assert woken == [True]  # the relay is woken at once
        assert metric("intake_applications_confirmed_total", kind="candidate") == (
            confirmed_before + 1
        )

    async def test_a_second_confirmation_changes_nothing_and_says_so(self, intake: Intake) -> None:
        dossier_id = await applied(intake)
        await confirm_application(intake.sessions, dossier_id)

        again = await confirm_application(intake.sessions, dossier_id)

        assert again is not None
        assert (again.state, again.newly_confirmed) == (ConfirmationState.CONFIRMED, False)
        assert len(await submissions(intake)) == 1

    async def test_concurrent_confirmations_write_one_submission(self, intake: Intake) -> None:
        dossier_id = await applied(intake)

        views = await asyncio.gather(
            *(confirm_application(intake.sessions, dossier_id) for _ in range(6))
        )

        assert [view.newly_confirmed for view in views if view is not None].count(True) == 1
        assert len(await submissions(intake)) == 1

    async def test_past_the_delay_it_is_expired_and_starts_nothing(self, intake: Intake) -> None:
        dossier_id = await applied(intake)
        too_late = datetime.now(UTC) + DELAY + timedelta(seconds=1)

        view = await confirm_application(intake.sessions, dossier_id, now=too_late)

        assert view is not None and view.state == ConfirmationState.EXPIRED
        assert await submissions(intake) == []
        application = await stored(intake, dossier_id)
        assert application is not None and application.email_confirmed_at is None

    async def test_the_delay_is_the_setting_s(self, intake: Intake) -> None:
        dossier_id = await applied(intake, confirmation_delay=timedelta(hours=1))
        in_two_hours = datetime.now(UTC) + timedelta(hours=2)

        view = await confirmation_view(
            intake.sessions, dossier_id, confirmation_delay=timedelta(hours=1), now=in_two_hours
        )

        assert view is not None and view.state == ConfirmationState.EXPIRED
        settings = offline_settings("sqlite://", APPLICATION_CONFIRMATION_DELAY_HOURS=1.5)
        assert settings.confirmation_delay == timedelta(hours=1, minutes=30)
        assert offline_settings("sqlite://").confirmation_delay == DELAY

    async def test_an_unknown_application_is_none(self, intake: Intake) -> None:
        assert await confirm_application(intake.sessions, uuid4()) is None
        assert await confirmation_view(intake.sessions, uuid4()) is None


class TestPurge:
    async def test_expired_unconfirmed_applications_go_with_what_intake_kept_of_them(
        self, intake: Intake
    ) -> None:
        expired = await applied(intake, idempotency_key="expired-key")
        confirmed = await applied(intake)
        await confirm_application(intake.sessions, confirmed)
        expired_before = metric("intake_applications_expired_total")
        later = datetime.now(UTC) + DELAY + timedelta(seconds=1)
        young = await applied(intake)

        purged = await purge_unconfirmed(intake.sessions, now=later - timedelta(seconds=2))
        assert purged == 0
        purged = await purge_unconfirmed(intake.sessions, now=later, batch_size=1)

        # The young one was applied just now: it expires later than the other two.
        assert purged in (1, 2)
        assert await stored(intake, expired) is None
        assert await stored(intake, confirmed) is not None
        keys = {row.key for row in await outbox_rows(intake)}
        assert str(expired) not in keys and str(confirmed) in keys
        async with intake.sessions() as session:
            assert await session.get(IdempotencyRecord, "expired-key") is None
        assert metric("intake_applications_expired_total") == expired_before + purged
        if purged == 1:
            assert await stored(intake, young) is not None

    async def test_the_command_purges_now(self, intake: Intake) -> None:
        dossier_id = await applied(intake)
        settings = ConfirmationSettings(
            _env_file=None,
            DATABASE_URL=intake.settings.DATABASE_URL,
            APPLICATION_CONFIRMATION_DELAY_HOURS=0.000001,
        )

        assert await purge(settings) == 1
        assert await stored(intake, dossier_id) is None

    async def test_intake_purges_periodically(self, sqlite_url: str) -> None:
        intake = bootstrap(
            offline_settings(
                sqlite_url,
                APPLICATION_CONFIRMATION_DELAY_HOURS=0.000001,
                APPLICATION_CONFIRMATION_PURGE_INTERVAL_SECONDS=0.01,
            )
        )
        async with intake.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        dossier_id = await applied(intake)
        try:
            task = asyncio.create_task(intake.purge_expired_periodically())

            async def purged() -> bool:
                return await stored(intake, dossier_id) is None

            assert await eventually(purged, timeout=10, interval=0.01)
            task.cancel()
        finally:
            await intake.engine.dispose()


class TestConfirmationPage:
    async def test_opening_the_link_shows_the_button_and_confirms_nothing(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id = await applied(intake)

        for _ in range(2):  # a mail scanner, then the applicant
            page = await client.get(
                page_path(intake, dossier_id), headers={"Accept": BROWSER_ACCEPT}
            )
            assert page.status_code == 200
        assert 'data-state="pending"' in page.text
        assert f'<form method="post" action="{page_path(intake, dossier_id)}' in (
            page.text.replace("&amp;", "&")
        )
        assert 'id="confirm-button"' in page.text
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert await submissions(intake) == []

    async def test_the_button_confirms_then_redirects_to_the_page_that_says_so(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id = await applied(intake)

        response = await confirm_email(client, intake.link_keys, dossier_id)

        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith(page_path(intake, dossier_id))
        assert location.endswith("&outcome=confirmed")
        page = await client.get(location, headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 200
        assert 'data-state="confirmed"' in page.text
        assert "Votre adresse e-mail est confirmée" in page.text
        assert 'id="status-link"' in page.text
        assert len(await submissions(intake)) == 1

    async def test_a_second_click_lands_on_already_confirmed_and_starts_nothing(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id = await applied(intake)
        path = page_path(intake, dossier_id)
        # The page open in two tabs: the button pressed in one, then in the other.
        page = await client.get(path, headers={"Accept": BROWSER_ACCEPT})
        form = {"csrf_token": hidden(page.text, "csrf_token")}
        await client.post(path, data=form, headers=FORM_POST)

        again = await client.post(path, data=form, headers=FORM_POST)

        assert again.status_code == 303
        assert "outcome" not in again.headers["location"]
        page = await client.get(again.headers["location"], headers={"Accept": BROWSER_ACCEPT})
        assert "Ce lien a déjà été utilisé" in page.text
        assert len(await submissions(intake)) == 1

    async def test_a_double_click_starts_one_dossier(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id = await applied(intake)
        path = page_path(intake, dossier_id)
        page = await client.get(path, headers={"Accept": BROWSER_ACCEPT})
        form = {"csrf_token": hidden(page.text, "csrf_token")}

        both = await asyncio.gather(
            client.post(path, data=form, headers=FORM_POST),
            client.post(path, data=form, headers=FORM_POST),
        )

        assert [response.status_code for response in both] == [303, 303]
        # Only the press that confirmed says so; the other lands on "already confirmed".
        assert sum("outcome=confirmed" in r.headers["location"] for r in both) == 1
        assert len(await submissions(intake)) == 1

    async def test_an_expired_link_gets_the_410_page(self, sqlite_url: str, intake: Intake) -> None:
        dossier_id = await applied(intake)
        expired_intake = bootstrap(
            offline_settings(sqlite_url, APPLICATION_CONFIRMATION_DELAY_HOURS=0.000001)
        )
        async with served(expired_intake) as client:
            page = await client.get(
                page_path(intake, dossier_id), headers={"Accept": BROWSER_ACCEPT}
            )
            assert page.status_code == 410
            assert "text/html" in page.headers["content-type"]
            assert "Ce lien de confirmation a expiré" in page.text
            assert 'href="/candidater"' in page.text
            posted = await client.post(
                page_path(intake, dossier_id),
                # The button of a page opened before the deadline: its token is the cookie's.
                data={"csrf_token": client.cookies[CSRF_COOKIE]},
                headers=FORM_POST,
            )
            assert posted.status_code == 303
            after = await client.get(posted.headers["location"], headers={"Accept": BROWSER_ACCEPT})
            assert after.status_code == 410
        await expired_intake.engine.dispose()
        assert await submissions(intake) == []

    async def test_a_purged_application_gets_the_410_page(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id = await applied(intake)
        await purge_unconfirmed(intake.sessions, now=datetime.now(UTC) + DELAY * 2)

        page = await client.get(page_path(intake, dossier_id), headers={"Accept": BROWSER_ACCEPT})

        assert page.status_code == 410
        assert "Ce lien de confirmation a expiré" in page.text

    @pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "application/json"])
    async def test_a_wrong_link_gets_the_404_of_any_wrong_private_link(
        self, client: httpx.AsyncClient, intake: Intake, accept: str
    ) -> None:
        dossier_id = await applied(intake)
        read_token = intake.link_keys.token(Purpose.READ, dossier_id)
        for path in (
            f"/confirmer/{dossier_id}?token={read_token}",  # another purpose's token
            f"/confirmer/{dossier_id}",
            f"/confirmer/{uuid4()}?token=x",
            "/confirmer/not-a-uuid?token=x",
        ):
            response = await client.get(path, headers={"Accept": accept})
            assert response.status_code == 404, path
            if accept == BROWSER_ACCEPT:
                assert "text/html" in response.headers["content-type"]
            else:
                assert response.json()["detail"] == "No such application."

    async def test_a_post_without_the_form_s_csrf_token_is_refused(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id = await applied(intake)
        await client.get(page_path(intake, dossier_id), headers={"Accept": BROWSER_ACCEPT})

        response = await client.post(
            page_path(intake, dossier_id), data={"csrf_token": "forged"}, headers=FORM_POST
        )

        assert response.status_code == 403
        assert await submissions(intake) == []

    async def test_the_sent_page_says_to_confirm_before_the_deadline(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body())
        dossier_id = response.json()["dossier_id"]

        page = await client.get(
            f"/candidater/confirmation/{dossier_id}", headers={"Accept": BROWSER_ACCEPT}
        )

        assert 'id="confirm-notice"' in page.text
        assert "Confirmez-la avant le" in page.text


async def test_the_outbox_keeps_the_received_row_first(intake: Intake) -> None:
    dossier_id = await applied(intake)
    await confirm_application(intake.sessions, dossier_id)

    async with intake.sessions() as session:
        submission = await OutboxRepository(session).submission_of(dossier_id)

    rows = await outbox_rows(intake)
    assert [is_submission(row) for row in rows] == [False, True]
    assert submission is not None and submission.id == rows[1].id
