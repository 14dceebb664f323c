"""The private status link shows the dossier; anything else is one indistinguishable 404."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from libs.dossier_links import status_url
from services.intake.bootstrap import Intake
from services.intake.read_model import record_dossier_event
from tests.html_forms import same_page
from tests.unit.services.intake.forms import (
    CANDIDATES,
    PROJECTS,
    apply_confirmed,
    candidate_body,
    project_body,
    status_changed,
)

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def submit(
    client: httpx.AsyncClient, intake: Intake, path: str = CANDIDATES, **changes: Any
) -> Any:
    body = candidate_body(**changes) if path == CANDIDATES else project_body(**changes)
    return await apply_confirmed(client, intake, path, body)


def local_path(url: str) -> str:
    return url.removeprefix("https://candidatures.eig.example")


class TestGoodLink:
    async def test_it_shows_a_new_dossier_as_received(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        accepted = await submit(client, intake, PROJECTS)

        response = await client.get(local_path(accepted["status_url"]))

        assert response.status_code == 200
        status = response.json()
        assert status["dossier_id"] == accepted["dossier_id"]
        assert status["kind"] == "project"
        assert status["title"] == "Détecter plus tôt les entreprises en difficulté"
        assert status["status"] == "received"
        assert status["updated_at"] == status["submitted_at"]
        assert status["timeline"] == [
            {"status": "received", "at": status["submitted_at"], "note": ""}
        ]
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"

    async def test_it_shows_status_changes_after_the_submission(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        accepted = await submit(client, intake)
        changed_at = datetime.now(UTC) + timedelta(minutes=5)
        await record_dossier_event(
            intake.sessions,
            status_changed(accepted["dossier_id"], changed_at, note="Dossier complet"),
        )

        status = (await client.get(local_path(accepted["status_url"]))).json()

        assert status["updated_at"] == changed_at.isoformat().replace("+00:00", "Z")
        assert [entry["note"] for entry in status["timeline"]] == ["", "Dossier complet"]
        assert status["timeline"][0]["at"] == status["submitted_at"]


class TestHtmlPage:
    async def test_a_browser_gets_the_page_in_french_and_in_english_on_request(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        # Markup is refused at submission (text_policy); what passes is still escaped.
        accepted = await submit(client, intake, PROJECTS, project_title='Projet "R&D" des douanes')

        response = await client.get(
            local_path(accepted["status_url"]), headers={"Accept": BROWSER_ACCEPT}
        )

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert '<html lang="fr">' in page
        assert "Dossier reçu" in page
        assert "R&amp;D" in page and "R&D" not in page
        english = await client.get(
            local_path(accepted["status_url"]) + "&lang=en", headers={"Accept": BROWSER_ACCEPT}
        )
        assert '<html lang="en">' in english.text
        assert "Application received" in english.text
        assert accepted["dossier_id"] in page
        assert response.headers["Referrer-Policy"] == "no-referrer"

    async def test_a_candidate_sees_the_role_in_words(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        accepted = await submit(client, intake, role="product_director")
        response = await client.get(
            local_path(accepted["status_url"]), headers={"Accept": "text/html"}
        )
        assert "Directeur ou directrice de produit" in response.text
        english = await client.get(
            local_path(accepted["status_url"]) + "&lang=en", headers={"Accept": "text/html"}
        )
        assert "Product director" in english.text

    async def test_an_api_client_gets_json(self, client: httpx.AsyncClient, intake: Intake) -> None:
        accepted = await submit(client, intake)
        response = await client.get(local_path(accepted["status_url"]), headers={"Accept": "*/*"})
        assert response.headers["content-type"] == "application/json"


class TestWrongLinks:
    @pytest.mark.parametrize("accept", ["application/json", BROWSER_ACCEPT])
    async def test_every_wrong_link_gets_the_same_404(
        self, client: httpx.AsyncClient, intake: Intake, accept: str
    ) -> None:
        accepted = await submit(client, intake)
        good = local_path(accepted["status_url"])
        path, token = good.split("?token=")
        unknown_id = uuid4()
        unknown = local_path(status_url("https://x", intake.link_keys, unknown_id))
        # Applied, not confirmed: no dossier yet, so no status page (its link is not sent).
        unconfirmed_id = (await client.post(CANDIDATES, json=candidate_body())).json()["dossier_id"]
        unconfirmed = local_path(status_url("https://x", intake.link_keys, UUID(unconfirmed_id)))
        wrong_links = {
            "unconfirmed application with its valid token": unconfirmed,
            "wrong token": f"{path}?token={token[:-2]}xx",
            "missing token": path,
            "empty token": f"{path}?token=",
            "token of another dossier": f"{path}?token={unknown.split('?token=')[1]}",
            "unknown dossier with its valid token": unknown,
            "not a uuid": f"/api/v1/dossiers/not-a-uuid?token={token}",
            "non-ascii token": f"{path}?token=%C3%A9t%C3%A9",
            "repeated token": f"{path}?token=x&token=y",
        }

        responses = {
            name: await client.get(link, headers={"Accept": accept})
            for name, link in wrong_links.items()
        }

        statuses = {name: response.status_code for name, response in responses.items()}
        assert statuses == dict.fromkeys(wrong_links, 404)
        assert len({same_page(response.content) for response in responses.values()}) == 1
        assert len({response.headers["content-type"] for response in responses.values()}) == 1
