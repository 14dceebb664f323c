"""The port onto the staff APIs of selection and contracts, and its HTTP adapter.

Every call carries the signed-in user's own bearer token: the console holds no rights of its
own, and what it shows or does is what the APIs give that user (they stay the authority).
Unit tests use the in-memory fake under ``tests/unit/services/console``.
"""

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel

from services.selection.schemas import (
    ActionOutcome,
    CommentList,
    CommentPublic,
    DossierCounts,
    DossierDetail,
    DossierPage,
)

Model = TypeVar("Model", bound=BaseModel)


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
    sort: str = "updated_desc"
    limit: int = 50
    offset: int = 0

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
            "sort": self.sort,
            "limit": self.limit,
            "offset": self.offset,
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
        return ActionOutcome.model_validate(await self._send(token, "POST", url, json=body))

    async def follow(self, token: str, dossier_id: UUID, *, on: bool) -> None:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/follow"
        await self._send(token, "PUT" if on else "DELETE", url)

    async def list_comments(self, token: str, dossier_id: UUID) -> CommentList:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/comments"
        return await self._get(token, url, CommentList)

    async def add_comment(self, token: str, dossier_id: UUID, body: str) -> CommentPublic:
        url = f"{self.selection_url}/api/v1/dossiers/{dossier_id}/comments"
        return CommentPublic.model_validate(
            await self._send(token, "POST", url, json={"body": body})
        )

    async def _get(
        self, token: str, url: str, model: type[Model], params: dict[str, Any] | None = None
    ) -> Model:
        return model.model_validate(await self._send(token, "GET", url, params=params))

    async def _send(
        self,
        token: str,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        try:
            response = await self.client.request(
                method,
                url,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as error:
            raise ApiUnavailable(type(error).__name__) from error
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise refusal_from(response)
        return response.json() if response.content else None
