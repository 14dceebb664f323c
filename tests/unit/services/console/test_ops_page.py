"""``/console/ops``: the operations report for admins, and replaying or discarding a dead
letter from the page (audited under the admin's name through the staff API)."""

import httpx
import pytest

from libs.messages.topics import NOTIFICATIONS_DLQ
from tests.unit.libs.operations.desks import poison
from tests.unit.services.console.conftest import post_form, sign_in
from tests.unit.services.console.fakes import FakeStaffApi

OPS = "/console/ops"
REPLAY = f"{OPS}/messages/{NOTIFICATIONS_DLQ}/0/3/replay"
DISCARD = f"{OPS}/messages/{NOTIFICATIONS_DLQ}/0/3/discard"


@pytest.fixture
def api(api: FakeStaffApi) -> FakeStaffApi:
    api.desk.letters.append(poison(offset=3))
    return api


class TestReport:
    async def test_an_admin_sees_each_source_and_the_dead_letter_with_its_error(
        self, browser: httpx.AsyncClient
    ) -> None:
        await sign_in(browser, name="Dominique Admin", role="admin")
        page = await browser.get(OPS)
        assert page.status_code == 200
        html = page.text
        assert "<title>Exploitation" in html
        assert 'id="ops-level">Bloqué' in html  # one dead letter waits: stuck
        assert "DossierStatusChanged — 0:3" in html
        assert "input_value=&lt;hidden&gt;" in html
        assert 'id="ops-outbox-pending">12<' in html
        assert 'href="/console/ops" aria-current="page"' in html

    async def test_the_menu_shows_operations_to_admins_only(
        self, browser: httpx.AsyncClient
    ) -> None:
        await sign_in(browser, role="staff")
        assert 'href="/console/ops"' not in (await browser.get("/console/")).text

    async def test_a_staff_member_gets_the_api_s_403(self, browser: httpx.AsyncClient) -> None:
        await sign_in(browser, role="staff")
        page = await browser.get(OPS)
        assert page.status_code == 403
        assert "Role required: admin" in page.text


class TestDeadLetterActions:
    async def test_a_replay_goes_through_the_api_then_back_to_the_page(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser, name="Dominique Admin", role="admin")
        answer = await post_form(browser, OPS, REPLAY, {"reason": "template fixed"})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{OPS}?fait=replay#dead-letters"
        page = (await browser.get(answer.headers["location"])).text
        assert "republié sur son topic d’origine" in page
        assert "DossierStatusChanged — 0:3" not in page  # handled: no longer waiting
        assert "Dominique Admin (dev-" in page  # the audit, under the admin's name
        assert "template fixed" in page
        assert len(api.desk.replayed) == 1

    async def test_the_history_shows_each_replay_s_outcome(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser, name="Dominique Admin", role="admin")
        await post_form(browser, OPS, REPLAY, {"reason": "address accepted again"})
        page = (await browser.get(OPS)).text
        assert "aucune copie en attente en rebut" in page

        # The fix did not hold: the replayed copy is dead-lettered again, naming the original.
        copy = poison(offset=7).model_copy(update={"replayed_from": f"{NOTIFICATIONS_DLQ}:0:3"})
        api.desk.letters.append(copy)
        page = (await browser.get(OPS)).text
        assert "aucune copie en attente en rebut" not in page
        key = f"{NOTIFICATIONS_DLQ.replace('.', '-')}-0-7"
        assert f'<a href="#letter-{key}">de nouveau en échec : 0:7</a>' in page
        assert f"{NOTIFICATIONS_DLQ}:0:3 (la correction n’a pas suffi" in page  # on the copy

    async def test_discarding_without_a_reason_shows_the_field_s_error(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser, role="admin")
        answer = await post_form(browser, OPS, DISCARD, {"reason": "   "})
        assert answer.status_code == 422
        assert 'id="ops-refused"' in answer.text
        assert "String should have at least 1 character" in answer.text
        assert len(api.desk.letters) == 1

    async def test_a_message_already_handled_shows_the_api_s_reason(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser, role="admin")
        await post_form(browser, OPS, REPLAY, {})
        again = await post_form(browser, OPS, REPLAY, {})
        assert again.status_code == 409
        assert "is not waiting" in again.text
        assert len(api.desk.replayed) == 1

    async def test_a_post_without_the_csrf_token_changes_nothing(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser, role="admin")
        answer = await browser.post(REPLAY, data={"reason": "x"})
        assert answer.status_code == 403
        assert api.desk.replayed == []

    async def test_a_forged_post_by_a_staff_member_gets_the_api_s_403(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser, role="staff")
        answer = await post_form(browser, "/console/", REPLAY, {})
        assert answer.status_code == 403
        assert api.desk.replayed == []

    async def test_an_unknown_decision_is_a_404_page(self, browser: httpx.AsyncClient) -> None:
        await sign_in(browser, role="admin")
        answer = await post_form(browser, OPS, f"{OPS}/messages/{NOTIFICATIONS_DLQ}/0/3/burn", {})
        assert answer.status_code == 404
