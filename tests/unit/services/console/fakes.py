"""An in-memory stand-in for the staff APIs: dossiers, their allowed actions, and what each
call asked (the token included), so a test can check the console passed the user's own."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from libs.auth import DevTokenVerifier, InvalidToken, StaffRole, StaffUser
from libs.messages.common import DossierKind
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from services.console.staff_api import ApiRefused, DossierQuery, FieldProblem
from services.selection.schemas import (
    ActionOutcome,
    CommentList,
    CommentPublic,
    DossierCounts,
    DossierDetail,
    DossierPage,
    DossierSummary,
    EvaluationSummary,
    TimelineItem,
)

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def summary(
    title: str,
    *,
    kind: DossierKind = DossierKind.CANDIDATE,
    status: DossierStatus = DossierStatus.IN_REVIEW,
    overdue: bool = False,
) -> DossierSummary:
    return DossierSummary(
        dossier_id=uuid4(),
        kind=kind,
        title=title,
        status=status,
        round_id=None,
        overdue=overdue,
        submitted_at=NOW,
        updated_at=NOW,
    )


ACTION_ROLES = {"record_decision": StaffRole.JURY}


@dataclass
class FakeStaffApi:
    """Tokens are checked as the staff APIs do in development (``verifier``); a role not
    allowed an action gets the API's 403."""

    verifier: DevTokenVerifier
    dossiers: list[DossierSummary] = field(default_factory=list)
    allowed: dict[UUID, list[str]] = field(default_factory=dict)
    refuse_with: ApiRefused | None = None
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    follows: set[tuple[str, UUID]] = field(default_factory=set)
    comments: list[CommentPublic] = field(default_factory=list)
    timeline: dict[UUID, list[TimelineItem]] = field(default_factory=dict)

    async def user(self, token: str) -> StaffUser:
        try:
            return await self.verifier.verify(token)
        except InvalidToken:
            raise ApiRefused(401, "Jeton invalide / Invalid token.") from None

    async def count_dossiers(self, token: str) -> DossierCounts:
        await self.user(token)
        self.calls.append(("count", token, None))
        by_kind: dict[DossierKind, dict[DossierStatus, int]] = {}
        for item in self.dossiers:
            statuses = by_kind.setdefault(item.kind, {})
            statuses[item.status] = statuses.get(item.status, 0) + 1
        return DossierCounts(by_kind=by_kind, overdue=sum(d.overdue for d in self.dossiers))

    async def list_dossiers(self, token: str, query: DossierQuery) -> DossierPage:
        user = await self.user(token)
        self.calls.append(("list", token, query))
        rows = [
            item
            for item in self.dossiers
            if (query.kind is None or item.kind == query.kind)
            and (query.status is None or item.status == query.status)
            and (query.overdue is None or item.overdue == query.overdue)
            and (query.final is None or (item.status in FINAL_STATUSES) == query.final)
            and (query.q is None or query.q.lower() in item.title.lower())
            and (not query.followed or (user.id, item.dossier_id) in self.follows)
        ]
        if query.sort == "title":
            rows.sort(key=lambda item: item.title)
        return DossierPage(items=rows[query.offset : query.offset + query.limit], total=len(rows))

    def _find(self, dossier_id: UUID) -> DossierSummary:
        for item in self.dossiers:
            if item.dossier_id == dossier_id:
                return item
        raise ApiRefused(404, "Dossier introuvable / Dossier not found.")

    async def get_dossier(self, token: str, dossier_id: UUID) -> DossierDetail:
        user = await self.user(token)
        item = self._find(dossier_id)
        return DossierDetail(
            **item.model_dump(),
            application={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "role": "technical_director",
            },
            timeline=self.timeline.get(dossier_id, []),
            evaluations=EvaluationSummary(count=0, criterion_means={}, total=0),
            allowed_actions=self.allowed.get(dossier_id, []),
            followed=(user.id, dossier_id) in self.follows,
            state_source="workflow",
        )

    async def apply_action(
        self, token: str, dossier_id: UUID, action: str, body: dict[str, Any]
    ) -> ActionOutcome:
        user = await self.user(token)
        self.calls.append(("action", token, (dossier_id, action, body)))
        needed = ACTION_ROLES.get(action, StaffRole.STAFF)
        if not user.has_any(frozenset({needed})):
            raise ApiRefused(403, f"Rôle requis / Role required: {needed.value}.")
        item = self._find(dossier_id)
        if self.refuse_with is not None:
            raise self.refuse_with
        if action not in self.allowed.get(dossier_id, []):
            raise ApiRefused(
                409,
                f"Action {action} refusée dans le statut {item.status.value}.",
                current_status=item.status.value,
                allowed_actions=self.allowed.get(dossier_id, []),
            )
        return ActionOutcome(status=item.status, allowed_actions=[])

    async def follow(self, token: str, dossier_id: UUID, *, on: bool) -> None:
        user = await self.user(token)
        self._find(dossier_id)
        if on:
            self.follows.add((user.id, dossier_id))
        else:
            self.follows.discard((user.id, dossier_id))

    async def list_comments(self, token: str, dossier_id: UUID) -> CommentList:
        await self.user(token)
        return CommentList(items=[c for c in self.comments if c.dossier_id == dossier_id])

    async def add_comment(self, token: str, dossier_id: UUID, body: str) -> CommentPublic:
        user = await self.user(token)
        self._find(dossier_id)
        comment = CommentPublic(
            id=len(self.comments) + 1,
            dossier_id=dossier_id,
            author=user.id,
            author_name=user.name,
            body=body,
            created_at=NOW,
        )
        self.comments.append(comment)
        return comment


def field_refusal(field_name: str, message: str) -> ApiRefused:
    return ApiRefused(
        422, "Champ invalide / Invalid field.", errors=[FieldProblem(field_name, message)]
    )
