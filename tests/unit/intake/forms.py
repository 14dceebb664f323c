"""Valid application bodies (the OpenAPI examples) to derive test cases from."""

from copy import deepcopy
from typing import Any

from libs.messages.applications import CandidateApplication
from services.intake.schemas import CANDIDATE_EXAMPLE, PROJECT_EXAMPLE

CANDIDATES = "/api/v1/applications/candidates"
PROJECTS = "/api/v1/applications/projects"


def candidate_body(**changes: Any) -> dict[str, Any]:
    body = deepcopy(CANDIDATE_EXAMPLE)
    body.update(changes)
    return body


def project_body(**changes: Any) -> dict[str, Any]:
    body = deepcopy(PROJECT_EXAMPLE)
    body.update(changes)
    return body


def candidate_form(**changes: Any) -> CandidateApplication:
    body = candidate_body(**changes)
    del body["consent"]
    return CandidateApplication.model_validate(body)
