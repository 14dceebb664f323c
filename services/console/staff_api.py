"""The port onto the staff APIs of selection and contracts, and its HTTP adapter.

Every call carries the signed-in user's own bearer token: the console holds no rights of its
own, and what it shows or does is what the APIs give that user (they stay the authority).
Unit tests use the in-memory fake under ``tests/unit/services/console``.
"""

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import quote
from uuid import UUID

import httpx
from pydantic import BaseModel

from libs.messages.contract_events import ContractStatus
from libs.operations.dead_letters import MessageRef
from libs.operations.models import DeadLetterDecision
from libs.operations.report import StatusReport
from services.contracts.schemas import ActionOutcome as ContractOutcome
from services.contracts.schemas import ContractDetail, ContractPage, PayReport
from services.selection.api.rounds import (
    DecisionPublic,
    PromotionPublic,
    RoundDetailPublic,
    RoundPublic,
)
from services.selection.schemas import (
    ActionOutcome,
    CommentList,
    CommentPublic,
    DeadLetterActionList,
    DeadLetterActionPublic,
    DossierCounts,
    DossierDetail,
    DossierPage,
    EvaluationList,
    EvaluationPublic,
)

Model = TypeVar("Model", bound=BaseModel)

OPERATIONS_TIMEOUT_SECONDS = 45.0
"""The operations report reads every source within its own limit (``STATUS_TIMEOUT_SECONDS``)."""


@dataclass(frozen=True)
class DossierQuery:
    """The staff API's list filters (``None``: not filtered)."""

    kind: str | None = None
    status: str | None = None
    round_id: str | None = None
    overdue: bool | None = None
    q: str | None = None
    final: bool | None = None
    followed: bool | None = None
    role: str | None = None
    administration_kind: str | None = None
    awaiting_my_evaluation: bool | None = None
    sort: str = "updated_desc"
    limit: int = 50
    """0: the total alone."""
    cursor: str | None = None
    """A page's ``next_cursor`` or ``previous_cursor`` (keyset pages, ADR 20)."""

    def params(self) -> dict[str, str | int]:
        values: dict[str, Any] = {
            "kind": self.kind,
            "status": self.status,
            "round_id": self.round_id,
            "overdue": None if self.overdue is None else str(self.overdue).lower(),
            "q": self.q,
            "final": None if self.final is None else str(self.final).lower(),
            "followed": "true" if self.followed else None,
            "role": self.role,
            "administration_kind": self.administration_kind,
            "awaiting_my_evaluation": "true" if self.awaiting_my_evaluation else None,
            "sort": self.sort,
            "limit": self.limit,
            "cursor": self.cursor,
        }
        return {name: value for name, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class ApiRefused(Exception):
    """The API answered 4xx: its message, the fields at fault, and for a refused action the
    dossier's status and what is allowed instead."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        errors: list[FieldProblem] | None = None,
        current_status: str | None = None,
        allowed_actions: list[str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.errors = errors or []
        self.current_status = current_status
        self.allowed_actions = allowed_actions or []


class ApiUnavailable(Exception):
    """The API could not be reached or failed (5xx): the page says to retry."""


@dataclass(frozen=True)
class Document:
    """A contract document as the API served it (HTML or PDF)."""

    content: bytes
    media_type: str
    disposition: str | None


class StaffApi(Protocol):
    async def count_dossiers(self, token: str) -> DossierCounts: ...

    async def list_dossiers(self, token: str, query: DossierQuery) -> DossierPage: ...

    async def get_dossier(self, token: str, dossier_id: UUID) -> DossierDetail: ...

    async def apply_action(
        self, token: str, dossier_id: UUID, action: str, body: dict[str, Any]
    ) -> ActionOutcome: ...

    async def follow(self, token: str, dossier_id: UUID, *, on: bool) -> None: ...

    async def list_comments(self, token: str, dossier_id: UUID) -> CommentList: ...

    async def add_comment(self, token: str, dossier_id: UUID, body: str) -> CommentPublic: ...

    async def list_evaluations(self, token: str, dossier_id: UUID) -> EvaluationList: ...

    async def save_evaluation(
        self,
        token: str,
        dossier_id: UUID,
        scorecard: dict[str, Any],
        *,
        evaluation_id: int | None,
    ) -> EvaluationPublic:
        """Create the caller's scorecard, or change it (``evaluation_id``)."""
        ...

    async def declare_conflict(self, token: str, dossier_id: UUID, reason: str) -> None: ...

    async def erase_personal_data(self, token: str, dossier_id: UUID, reason: str) -> None: ...

    async def list_rounds(self, token: str) -> list[RoundPublic]: ...

    async def get_round(self, token: str, round_id: str) -> RoundDetailPublic: ...

    async def create_round(self, token: str, body: dict[str, Any]) -> RoundPublic: ...

    async def record_round_decision(
        self, token: str, round_id: str, body: dict[str, Any]
    ) -> DecisionPublic: ...
    async def operations_status(self, token: str) -> StatusReport: ...

    async def dead_letter_history(self, token: str) -> DeadLetterActionList: ...

    async def handle_dead_letter(
        self, token: str, ref: MessageRef, decision: DeadLetterDecision, reason: str
    ) -> DeadLetterActionPublic: ...

    async def list_promotions(self, token: str) -> list[PromotionPublic]: ...

    async def list_contracts(
        self, token: str, *, status: ContractStatus | None, limit: int, offset: int = 0
    ) -> ContractPage: ...

    async def get_contract(self, token: str, contract_id: UUID) -> ContractDetail: ...

    async def apply_contract_action(
        self, token: str, contract_id: UUID, action: str, body: dict[str, Any]
    ) -> ContractOutcome: ...

    async def contract_document(self, token: str, contract_id: UUID, fmt: str) -> Document:
        """``fmt``: ``html`` or ``pdf``."""
        ...

    async def pay_report(self, token: str) -> PayReport: ...


def refusal_from(response: httpx.Response) -> ApiRefused:
    """The project's error format (``detail`` + ``errors``) read back into an exception."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = body.get("detail")
    errors = [
        FieldProblem(field=str(item.get("field", "")), message=str(item.get("message", "")))
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    return ApiRefused(
        response.status_code,
        detail if isinstance(detail, str) else response.reason_phrase,
        errors=errors,
        current_status=body.get("status"),
        allowed_actions=list(body.get("allowed_actions") or []),
    )


@dataclass
class HttpStaffApi:
    """The staff APIs over HTTP (one connection pool for the process)."""

    selection_url: str
    contracts_url: str
    timeout_seconds: float = 10.0
    _client: httpx.AsyncClient | None = field(default=None, init=False)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_seconds)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def count_dossiers(self, token: str) -> DossierCounts:
        return await self._get(token, f"{self.selection_url}/api/v1/dossiers/counts", DossierCounts)

    async def list_dossiers(self, token: str, query: DossierQuery) -> DossierPage:
        url = f"{self.selection_url}/api/v1/dossiers"
        return await self._get(token, url, DossierPage, params=query.params())

    async def get_dossier(self, token: str, dossier_id: UUID) -> DossierDetail:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}"
        return await self._get(token, url, DossierDetail)

    async def apply_action(
        self, token: str, dossier_id: UUID, action: str, body: dict[str, Any]
    ) -> ActionOutcome:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/actions/{action}"
        return await self._post(token, url, ActionOutcome, body)

    async def follow(self, token: str, dossier_id: UUID, *, on: bool) -> None:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/follow"
        await self._send(token, "PUT" if on else "DELETE", url)

    async def list_comments(self, token: str, dossier_id: UUID) -> CommentList:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/comments"
        return await self._get(token, url, CommentList)

    async def add_comment(self, token: str, dossier_id: UUID, body: str) -> CommentPublic:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/comments"
        return await self._post(token, url, CommentPublic, {"body": body})

    async def list_evaluations(self, token: str, dossier_id: UUID) -> EvaluationList:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/evaluations"
        return await self._get(token, url, EvaluationList)

    async def save_evaluation(
        self,
        token: str,
        dossier_id: UUID,
        scorecard: dict[str, Any],
        *,
        evaluation_id: int | None,
    ) -> EvaluationPublic:
        if evaluation_id is None:
            url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/evaluations"
            answer = await self._send(token, "POST", url, json=scorecard)
        else:
            url = f"{self.selection_url}/api/v1/evaluations/{evaluation_id}"
            answer = await self._send(token, "PUT", url, json=scorecard)
        return EvaluationPublic.model_validate(answer)

    async def declare_conflict(self, token: str, dossier_id: UUID, reason: str) -> None:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/conflicts-of-interest"
        await self._send(token, "POST", url, json={"reason": reason})

    async def erase_personal_data(self, token: str, dossier_id: UUID, reason: str) -> None:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/personal-data/erase"
        await self._send(token, "POST", url, json={"reason": reason})

    async def list_rounds(self, token: str) -> list[RoundPublic]:
        answer = await self._send(token, "GET", f"{self.selection_url}/api/v1/rounds")
        return [RoundPublic.model_validate(item) for item in answer]

    async def get_round(self, token: str, round_id: str) -> RoundDetailPublic:
        url = f"{self.selection_url}/api/v1/rounds/{quote(round_id, safe='')}"
        return await self._get(token, url, RoundDetailPublic)

    async def create_round(self, token: str, body: dict[str, Any]) -> RoundPublic:
        url = f"{self.selection_url}/api/v1/rounds"
        return await self._post(token, url, RoundPublic, body)

    async def record_round_decision(
        self, token: str, round_id: str, body: dict[str, Any]
    ) -> DecisionPublic:
        url = f"{self.selection_url}/api/v1/rounds/{quote(round_id, safe='')}/decisions"
        return await self._post(token, url, DecisionPublic, body)

    async def list_promotions(self, token: str) -> list[PromotionPublic]:
        answer = await self._send(token, "GET", f"{self.selection_url}/api/v1/promotions")
        return [PromotionPublic.model_validate(item) for item in answer]

    async def list_contracts(
        self, token: str, *, status: ContractStatus | None, limit: int, offset: int = 0
    ) -> ContractPage:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status is not None:
            params["status"] = status.value
        url = f"{self.contracts_url}/api/v1/contracts"
        return await self._get(token, url, ContractPage, params=params)

    async def get_contract(self, token: str, contract_id: UUID) -> ContractDetail:
        url = f"{self.contracts_url}/api/v1/contracts/{contract_id}"
        return await self._get(token, url, ContractDetail)

    async def apply_contract_action(
        self, token: str, contract_id: UUID, action: str, body: dict[str, Any]
    ) -> ContractOutcome:
        url = f"{self.contracts_url}/api/v1/contracts/{contract_id}/actions/{quote(action)}"
        return await self._post(token, url, ContractOutcome, body)

    async def contract_document(self, token: str, contract_id: UUID, fmt: str) -> Document:
        url = f"{self.contracts_url}/api/v1/contracts/{contract_id}/document.{fmt}"
        response = await self._request(token, "GET", url)
        return Document(
            response.content,
            response.headers.get("content-type", "application/octet-stream"),
            response.headers.get("content-disposition"),
        )

    async def pay_report(self, token: str) -> PayReport:
        return await self._get(token, f"{self.contracts_url}/api/v1/reports/pay", PayReport)

    async def operations_status(self, token: str) -> StatusReport:
        url = f"{self.selection_url}/api/v1/operations/status"
        # Each source has its own time limit there (20 s by default, an unreadable one is
        # reported): during an outage, the page must wait for that rather than give up first.
        return StatusReport.model_validate(
            await self._send(token, "GET", url, timeout=OPERATIONS_TIMEOUT_SECONDS)
        )

    async def dead_letter_history(self, token: str) -> DeadLetterActionList:
        url = f"{self.selection_url}/api/v1/operations/dead-letters/actions"
        return await self._get(token, url, DeadLetterActionList)

    async def handle_dead_letter(
        self, token: str, ref: MessageRef, decision: DeadLetterDecision, reason: str
    ) -> DeadLetterActionPublic:
        url = (
            f"{self.selection_url}/api/v1/operations/dead-letters/"
            f"{ref.topic}/{ref.partition}/{ref.offset}/{decision.value}"
        )
        return await self._post(token, url, DeadLetterActionPublic, {"reason": reason})

    async def _get(
        self, token: str, url: str, model: type[Model], params: dict[str, Any] | None = None
    ) -> Model:
        return model.model_validate(await self._send(token, "GET", url, params=params))

    async def _post(self, token: str, url: str, model: type[Model], body: Any) -> Model:
        return model.model_validate(await self._send(token, "POST", url, json=body))

    async def _send(
        self,
        token: str,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> Any:
        response = await self._request(
            token, method, url, params=params, json=json, timeout=timeout
        )
        return response.json() if response.content else None

    async def _request(
        self,
        token: str,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        try:
            response = await self.client.request(
                method,
                url,
                params=params,
                json=json,
                timeout=timeout if timeout is not None else self.timeout_seconds,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as error:
            raise ApiUnavailable(type(error).__name__) from error
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise refusal_from(response)
        return response
