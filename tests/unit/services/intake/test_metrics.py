"""Accepted and rejected applications are counted by kind."""

import httpx
from prometheus_client import REGISTRY

from tests.unit.services.intake.forms import CANDIDATES, PROJECTS, candidate_body, project_body


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_accepted_and_rejected_applications_are_counted(client: httpx.AsyncClient) -> None:
    accepted_before = sample("intake_applications_accepted_total", kind="project")
    rejected_before = sample(
        "intake_applications_rejected_total", kind="candidate", status_code="422"
    )
    too_large_before = sample(
        "intake_applications_rejected_total", kind="candidate", status_code="413"
    )

    await client.post(PROJECTS, json=project_body())
    await client.post(CANDIDATES, json=candidate_body(consent=False))
    await client.post(
        CANDIDATES, content=b"x" * 70_000, headers={"Content-Type": "application/json"}
    )

    assert sample("intake_applications_accepted_total", kind="project") == accepted_before + 1
    assert (
        sample("intake_applications_rejected_total", kind="candidate", status_code="422")
        == rejected_before + 1
    )
    assert (
        sample("intake_applications_rejected_total", kind="candidate", status_code="413")
        == too_large_before + 1
    )


async def test_metrics_are_exposed(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "intake_outbox_pending" in response.text
    assert "intake_applications_accepted_total" in response.text


async def test_the_openapi_document_shows_both_forms_with_examples(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    for path, example_field in ((CANDIDATES, "first_name"), (PROJECTS, "administration_name")):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        (example,) = body["examples"].values()
        assert example_field in example["value"]
        assert set(document["paths"][path]["post"]["responses"]) >= {
            "202",
            "400",
            "409",
            "413",
            "415",
            "422",
        }
