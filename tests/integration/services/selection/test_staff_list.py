"""The staff list's keyset cursors and counts, on SQLite and PostgreSQL (ADR 20)."""

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import SQLModel, col

from libs.auth import write_dev_tokens
from libs.config import Environment
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.selection import listing
from services.selection.app import create_app
from services.selection.bootstrap import Selection, bootstrap
from services.selection.models import StaffDossier, StaffDossierCount
from services.selection.read_model import (
    record_application,
    record_deadline_passed,
    record_status_change,
)
from services.selection.settings import SelectionSettings
from tests.unit.services.selection.conftest import (
    T0,
    FakeDossierWorkflows,
    deadline_passed,
    status_changed,
)
from tests.unit.workflows.dossier.dossiers import (
    candidate_application_submitted,
    project_application_submitted,
)

pytestmark = pytest.mark.integration

SORTS = [sort.value for sort in listing.DossierSort]


@pytest.fixture
async def selection(database_url: str, tmp_path: Path) -> AsyncIterator[Selection]:
    settings = SelectionSettings(
        _env_file=None,
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL=database_url,
        DATA_DIR=tmp_path,
        SELECTION_READ_MODEL_ENABLED=False,
    )
    selection = bootstrap(settings, dossier_workflows=FakeDossierWorkflows())
    async with selection.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield selection
    await selection.engine.dispose()


@pytest.fixture
async def client(selection: Selection) -> AsyncIterator[httpx.AsyncClient]:
    tokens = write_dev_tokens(selection.settings.dev_tokens_file)
    transport = httpx.ASGITransport(app=create_app(selection=selection))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://selection",
        headers={"Authorization": f"Bearer {tokens['staff']}"},
    ) as client:
        yield client


async def add_candidate(selection: Selection, *, minutes: int, name: str = "Martin") -> uuid.UUID:
    """A candidate whose latest change is ``minutes`` after T0 (equal minutes tie)."""
    event = candidate_application_submitted()
    payload = event.payload.model_copy(update={"last_name": name})
    event = event.model_copy(update={"occurred_at": T0, "payload": payload})
    await record_application(selection.sessions, event)
    changed = status_changed(
        event.dossier_id, DossierStatus.IN_REVIEW, at=T0 + timedelta(minutes=minutes)
    )
    await record_status_change(selection.sessions, changed)
    return event.dossier_id


async def walk(
    client: httpx.AsyncClient, sort: str, *, limit: int, **params: str
) -> list[list[str]]:
    """Every page from the first, following next_cursor."""
    pages, cursor = [], None
    while True:
        query = {
            "sort": sort,
            "limit": str(limit),
            **params,
            **({"cursor": cursor} if cursor else {}),
        }
        response = await client.get("/api/v1/dossiers", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["dossier_id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def whole(client: httpx.AsyncClient, sort: str) -> list[str]:
    response = await client.get("/api/v1/dossiers", params={"sort": sort, "limit": "100"})
    return [item["dossier_id"] for item in response.json()["items"]]


class TestCursor:
    async def test_pages_by_cursor_are_the_whole_list_in_order_for_every_sort(
        self, client: httpx.AsyncClient, selection: Selection
    ) -> None:
        for number in range(23):
            await add_candidate(selection, minutes=number // 3)  # ties of three

        for sort in SORTS:
            pages = await walk(client, sort, limit=5)
            assert [len(page) for page in pages] == [5, 5, 5, 5, 3], sort
            assert [row for page in pages for row in page] == await whole(client, sort), sort

    async def test_rows_added_between_pages_neither_repeat_nor_hide_a_row(
        self, client: httpx.AsyncClient, selection: Selection
    ) -> None:
        original = [await add_candidate(selection, minutes=number) for number in range(12)]
        params = {"sort": "updated_desc", "limit": "5"}
        first = (await client.get("/api/v1/dossiers", params=params)).json()

        newer = await add_candidate(selection, minutes=100)  # before the cursor: not shown
        older = await add_candidate(selection, minutes=-5)  # after it: shown at the end
        seen = [item["dossier_id"] for item in first["items"]]
        cursor = first["next_cursor"]
        while cursor:
            page = (
                await client.get("/api/v1/dossiers", params={**params, "cursor": cursor})
            ).json()
            seen += [item["dossier_id"] for item in page["items"]]
            cursor = page["next_cursor"]

        assert len(seen) == len(set(seen))
        assert set(seen) == {str(dossier) for dossier in [*original, older]}
        assert str(newer) not in seen

    async def test_the_previous_cursor_gives_the_page_before_again(
        self, client: httpx.AsyncClient, selection: Selection
    ) -> None:
        for number in range(12):
            await add_candidate(selection, minutes=number // 2)
        pages = await walk(client, "updated_asc", limit=4)
        params = {"sort": "updated_asc", "limit": "4"}
        first = (await client.get("/api/v1/dossiers", params=params)).json()
        second = (
            await client.get("/api/v1/dossiers", params={**params, "cursor": first["next_cursor"]})
        ).json()
        back = (
            await client.get(
                "/api/v1/dossiers", params={**params, "cursor": second["previous_cursor"]}
            )
        ).json()

        assert first["previous_cursor"] is None
        assert [item["dossier_id"] for item in back["items"]] == pages[0]
        assert back["previous_cursor"] is None and back["next_cursor"] is not None

    @pytest.mark.parametrize(
        "cursor", ["not-a-cursor", "eyJ2IjoxfQ", "e30", "%%%", "eyJ2Ijo5LCJzIjoidGl0bGUifQ"]
    )
    async def test_a_bad_cursor_is_a_422_naming_it(
        self, client: httpx.AsyncClient, cursor: str
    ) -> None:
        response = await client.get("/api/v1/dossiers", params={"cursor": cursor})

        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == ["cursor"]

    async def test_a_cursor_of_another_sort_is_a_422_naming_it(
        self, client: httpx.AsyncClient, selection: Selection
    ) -> None:
        for number in range(3):
            await add_candidate(selection, minutes=number)
        page = (await client.get("/api/v1/dossiers", params={"limit": "1"})).json()

        response = await client.get(
            "/api/v1/dossiers", params={"cursor": page["next_cursor"], "sort": "title"}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "cursor"
        assert "sort" in response.json()["errors"][0]["message"]

    async def test_offset_is_bounded_and_not_with_a_cursor(self, client: httpx.AsyncClient) -> None:
        too_far = await client.get("/api/v1/dossiers", params={"offset": "10001"})
        both = await client.get("/api/v1/dossiers", params={"offset": "2", "cursor": "x"})

        assert too_far.status_code == 422 and "offset" in too_far.text
        assert both.status_code == 422
        assert [error["field"] for error in both.json()["errors"]] == ["offset"]


async def counted(selection: Selection) -> dict[tuple[str, str, bool], int]:
    """The counts' rows that are not zero, by kind, status and overdue."""
    async with selection.sessions() as session:
        connection = await session.connection()
        rows = await connection.execute(
            select(
                col(StaffDossierCount.kind),
                col(StaffDossierCount.status),
                col(StaffDossierCount.overdue),
                func.sum(col(StaffDossierCount.dossiers)),
            ).group_by(
                col(StaffDossierCount.kind),
                col(StaffDossierCount.status),
                col(StaffDossierCount.overdue),
            )
        )
        return {(kind, status, overdue): int(n) for kind, status, overdue, n in rows.all() if n}


async def actual(selection: Selection) -> dict[tuple[str, str, bool], int]:
    async with selection.sessions() as session:
        connection = await session.connection()
        key = (col(StaffDossier.kind), col(StaffDossier.status), col(StaffDossier.overdue))
        rows = await connection.execute(select(*key, func.count()).group_by(*key))
        return {(kind, status, overdue): int(n) for kind, status, overdue, n in rows.all()}


class TestCounts:
    async def test_counts_follow_every_change_and_ignore_replays(
        self, client: httpx.AsyncClient, selection: Selection
    ) -> None:
        application = candidate_application_submitted().model_copy(update={"occurred_at": T0})
        # The status event first, then the application (the two consumers race).
        review = status_changed(
            application.dossier_id, DossierStatus.IN_REVIEW, at=T0 + timedelta(hours=1)
        )
        late = deadline_passed(
            application.dossier_id, DossierStatus.IN_REVIEW, at=T0 + timedelta(hours=2)
        )
        rejected = status_changed(
            application.dossier_id, DossierStatus.REJECTED, at=T0 + timedelta(hours=3)
        )
        project = project_application_submitted().model_copy(update={"occurred_at": T0})
        for _ in range(2):  # the second time is a replay of every event
            await record_status_change(selection.sessions, review)
            await record_application(selection.sessions, application)
            await record_deadline_passed(selection.sessions, late)
            assert await counted(selection) == await actual(selection)
            await record_status_change(selection.sessions, rejected)
            await record_application(selection.sessions, project)
            assert await counted(selection) == await actual(selection)

        assert await counted(selection) == {
            ("candidate", "rejected", False): 1,
            ("project", "received", False): 1,
        }
        body = (await client.get("/api/v1/dossiers/counts")).json()
        assert body == {
            "by_kind": {"candidate": {"rejected": 1}, "project": {"received": 1}},
            "overdue": 0,
        }

    async def test_counts_stay_exact_when_both_consumers_race_on_each_dossier(
        self, selection: Selection
    ) -> None:
        async def retried(record: Callable[[], Awaitable[bool]]) -> None:
            # What the consumer policy does: a transaction that lost a race is tried again.
            for _ in range(20):
                try:
                    await record()
                    return
                except (IntegrityError, OperationalError):
                    continue
            raise AssertionError("still failing after 20 tries")

        races = []
        for number in range(15):
            application = candidate_application_submitted().model_copy(update={"occurred_at": T0})
            dossier_id = application.dossier_id
            moves = [
                status_changed(dossier_id, status, at=T0 + timedelta(minutes=step))
                for step, status in enumerate(
                    [DossierStatus.IN_REVIEW, DossierStatus.INTERVIEW, DossierStatus.IN_POOL], 1
                )
            ]
            late = deadline_passed(dossier_id, DossierStatus.IN_POOL, at=T0 + timedelta(hours=1))
            races.append(
                retried(functools.partial(record_application, selection.sessions, application))
            )
            races += [
                retried(functools.partial(record_status_change, selection.sessions, move))
                for move in moves[number % 3 :]
            ]
            races.append(
                retried(functools.partial(record_deadline_passed, selection.sessions, late))
            )

        await asyncio.gather(*races)

        assert await counted(selection) == await actual(selection)

    async def test_totals_under_counted_filters_come_from_the_counts(
        self, client: httpx.AsyncClient, selection: Selection
    ) -> None:
        for number in range(4):
            await add_candidate(selection, minutes=number)
        project = project_application_submitted().model_copy(update={"occurred_at": T0})
        await record_application(selection.sessions, project)

        async def total(**params: str) -> tuple[int, bool, int]:
            body = (await client.get("/api/v1/dossiers", params={"limit": "0", **params})).json()
            return body["total"], body["total_exact"], len(body["items"])

        assert await total() == (5, True, 0)
        assert await total(final="false", kind="candidate") == (4, True, 0)
        assert await total(role="product_director") == (1, True, 0)  # the project wants one
        assert await total(administration_kind="central", final="true") == (0, True, 0)
        assert await total(kind=DossierKind.PROJECT.value, status="received") == (1, True, 0)

    async def test_a_search_counts_up_to_the_cap_then_says_at_least(
        self, client: httpx.AsyncClient, selection: Selection, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(listing, "COUNT_CAP", 3)
        for number in range(5):
            await add_candidate(selection, minutes=number, name="Martin")
        await add_candidate(selection, minutes=9, name="Dubois")

        capped = (await client.get("/api/v1/dossiers", params={"q": "mart"})).json()
        exact = (await client.get("/api/v1/dossiers", params={"q": "DUBOIS"})).json()
        literal = (await client.get("/api/v1/dossiers", params={"q": "m%n"})).json()

        assert (capped["total"], capped["total_exact"], len(capped["items"])) == (3, False, 5)
        assert (exact["total"], exact["total_exact"], len(exact["items"])) == (1, True, 1)
        assert literal["total"] == 0  # LIKE's wildcards are taken literally
