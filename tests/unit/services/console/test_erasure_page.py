"""The dossier page's erasure of personal data (RGPD): admins only, final dossiers only,
behind a <details> confirmation with a required reason."""

import httpx
import pytest

from libs.messages.dossier_events import DossierStatus
from services.console.staff_api import ApiRefused, FieldProblem
from tests.unit.services.console.conftest import post_form, sign_in
from tests.unit.services.console.fakes import FakeStaffApi, summary


class TestErasure:
    async def test_an_admin_erases_a_withdrawn_dossier_with_a_reason(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada", status=DossierStatus.WITHDRAWN)
        api.dossiers = [dossier]
        await sign_in(browser, role="admin")
        path = f"/console/dossiers/{dossier.dossier_id}"
        page = (await browser.get(path)).text
        assert '<details class="fr-mb-4w" id="erasure">' in page

        response = await post_form(
            browser, path, f"{path}/effacement", {"reason": "Demande du 2 décembre"}
        )

        assert response.status_code == 303
        assert response.headers["location"] == f"{path}?fait=effacement"
        assert api.erasures == [(dossier.dossier_id, "Demande du 2 décembre")]

    @pytest.mark.parametrize(
        ("role", "status"),
        [("staff", DossierStatus.WITHDRAWN), ("admin", DossierStatus.IN_REVIEW)],
    )
    async def test_no_button_for_other_roles_nor_for_a_running_dossier(
        self, browser: httpx.AsyncClient, api: FakeStaffApi, role: str, status: DossierStatus
    ) -> None:
        dossier = summary("Ada", status=status)
        api.dossiers = [dossier]
        await sign_in(browser, role=role)

        page = (await browser.get(f"/console/dossiers/{dossier.dossier_id}")).text

        assert 'id="erasure"' not in page

    async def test_a_blank_reason_is_the_form_again_open_with_its_error(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada", status=DossierStatus.WITHDRAWN)
        api.dossiers = [dossier]
        await sign_in(browser, role="admin")
        path = f"/console/dossiers/{dossier.dossier_id}"

        response = await post_form(browser, path, f"{path}/effacement", {"reason": "  "})

        assert response.status_code == 422
        assert '<details class="fr-mb-4w" id="erasure" open>' in response.text
        assert 'id="field-erasure-reason-message-error"' in response.text
        assert api.erasures == []

    async def test_the_apis_409_shows_on_the_open_form(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada", status=DossierStatus.WITHDRAWN)
        api.dossiers = [dossier]
        refusal = ApiRefused(
            409, "Dossier en cours / still running", errors=[FieldProblem("dossier_id", "x")]
        )
        await sign_in(browser, role="admin")
        path = f"/console/dossiers/{dossier.dossier_id}"

        async def refused(token: str, dossier_id: object, reason: str) -> None:
            raise refusal

        api.erase_personal_data = refused  # type: ignore[method-assign]
        response = await post_form(browser, path, f"{path}/effacement", {"reason": "demande"})

        assert response.status_code == 409
        assert 'id="erasure-error"' in response.text
        assert "Dossier en cours" in response.text
