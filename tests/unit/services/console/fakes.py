"""An in-memory stand-in for the staff APIs: dossiers, their allowed actions, and what each
call asked (the token included), so a test can check the console passed the user's own."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from libs.auth import InvalidToken, StaffRole, StaffUser, TokenVerifier
from libs.messages.common import DossierKind
from libs.messages.contract_events import ContractStatus, ContractTerms
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from libs.operations.dead_letters import DeadLetterError, MessageRef
from libs.operations.models import DeadLetterDecision
from libs.operations.report import StatusReport
from services.console.staff_api import ApiRefused, Document, DossierQuery, FieldProblem
from services.contracts.schemas import ActionOutcome as ContractOutcome
from services.contracts.schemas import (
    ContractDetail,
    ContractPage,
    ContractSummary,
    DocumentLinks,
    PayReport,
)
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
    DossierSummary,
    EvaluationList,
    EvaluationPublic,
    EvaluationSummary,
    TimelineItem,
)
from tests.unit.libs.operations.desks import FakeOperationsDesk
from workflows.promotion.models import RoundState

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
CONTRACT_ACTION_ROLES = {"countersign": StaffRole.ADMIN}


def contract(
    eig_name: str = "Ada Lovelace",
    *,
    status: ContractStatus = ContractStatus.DRAFTED,
    allowed_actions: tuple[str, ...] = ("set_start_date", "send_offer"),
) -> ContractDetail:
    terms = ContractTerms(
        contract_number="EIG-7-0001",
        version=1,
        promotion_number=7,
        pay_policy_version="7.1",
        eig_name=eig_name,
        years_of_experience=12,
        band="over_10_years",
        monthly_net_eur=Decimal("5000"),
        annual_fixed_net_eur=Decimal("60000"),
        variable_percent=Decimal("10"),
        max_annual_variable_eur=Decimal("6000"),
        term_months=12,
        start_on=date(2027, 1, 4),
        end_on=date(2028, 1, 3),
        project_title="Mon projet",
        host_administration="DINUM",
    )
    contract_id = uuid4()
    return ContractDetail(
        contract_id=contract_id,
        dossier_id=uuid4(),
        status=status,
        terms=terms,
        next_terms=None,
        renewal_decision=None,
        offer_expires_at=None,
        eig_email="ada@example.org",
        updated_at=NOW,
        timeline=[],
        allowed_actions=list(allowed_actions),
        state_source="workflow",
        documents=DocumentLinks(
            html=f"/api/v1/contracts/{contract_id}/document.html",
            pdf=f"/api/v1/contracts/{contract_id}/document.pdf",
        ),
    )


@dataclass
class FakeStaffApi:
    """Tokens are checked as the staff APIs do in development (``verifier``); a role not
    allowed an action gets the API's 403."""

    verifier: TokenVerifier
    dossiers: list[DossierSummary] = field(default_factory=list)
    allowed: dict[UUID, list[str]] = field(default_factory=dict)
    refuse_with: ApiRefused | None = None
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    follows: set[tuple[str, UUID]] = field(default_factory=set)
    comments: list[CommentPublic] = field(default_factory=list)
    timeline: dict[UUID, list[TimelineItem]] = field(default_factory=dict)
    evaluations: list[EvaluationPublic] = field(default_factory=list)
    conflicts: set[tuple[str, UUID]] = field(default_factory=set)
    erasures: list[tuple[UUID, str]] = field(default_factory=list)
    rounds: list[RoundDetailPublic] = field(default_factory=list)
    decisions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    promotions: list[PromotionPublic] = field(default_factory=list)
    contracts: list[ContractDetail] = field(default_factory=list)
    applications: dict[UUID, dict[str, object]] = field(default_factory=dict)
    """Each dossier's application (the default one otherwise)."""
    desk: FakeOperationsDesk = field(default_factory=FakeOperationsDesk)
    capped_totals: bool = False
    """Answer every list's total as the API caps a search's: 1,000 and not exact."""

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
            and (query.role is None or query.role in self._roles(item.dossier_id))
            and (not query.followed or (user.id, item.dossier_id) in self.follows)
            and (not query.awaiting_my_evaluation or self._awaits(user.id, item.dossier_id))
        ]
        if query.sort == "title":
            rows.sort(key=lambda item: item.title)
        # The fake's cursors are plain offsets ("at:N"): the console passes them on unread.
        start = int(query.cursor.removeprefix("at:")) if query.cursor else 0
        end = start + query.limit
        return DossierPage(
            items=rows[start:end] if query.limit else [],
            total=1_000 if self.capped_totals else len(rows),
            total_exact=not self.capped_totals,
            next_cursor=f"at:{end}" if query.limit and end < len(rows) else None,
            previous_cursor=f"at:{max(0, start - query.limit)}" if start else None,
        )

    def _roles(self, dossier_id: UUID) -> list[str]:
        application = self.applications.get(dossier_id, {"role": "technical_director"})
        wanted = application.get("profiles_wanted")
        return [str(r) for r in wanted] if isinstance(wanted, list) else [str(application["role"])]

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
            application=self.applications.get(
                dossier_id,
                {"first_name": "Ada", "last_name": "Lovelace", "role": "technical_director"},
            ),
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

    def _awaits(self, evaluator: str, dossier_id: UUID) -> bool:
        scored = any(e.author == evaluator and e.dossier_id == dossier_id for e in self.evaluations)
        return not scored and (evaluator, dossier_id) not in self.conflicts

    async def list_evaluations(self, token: str, dossier_id: UUID) -> EvaluationList:
        user = await self.user(token)
        if (user.id, dossier_id) in self.conflicts:
            raise ApiRefused(403, "Conflit d'intérêts déclaré / Conflict of interest declared.")
        items = [e for e in self.evaluations if e.dossier_id == dossier_id]
        return EvaluationList(
            items=items, summary=EvaluationSummary(count=len(items), criterion_means={}, total=0)
        )

    async def save_evaluation(
        self,
        token: str,
        dossier_id: UUID,
        scorecard: dict[str, Any],
        *,
        evaluation_id: int | None,
    ) -> EvaluationPublic:
        user = await self.user(token)
        self.calls.append(("evaluation", token, (dossier_id, scorecard, evaluation_id)))
        if not user.has_any(frozenset({StaffRole.EVALUATOR})):
            raise ApiRefused(403, "Rôle requis / Role required: evaluator.")
        if self.refuse_with is not None:
            raise self.refuse_with
        evaluation = EvaluationPublic(
            id=evaluation_id or len(self.evaluations) + 1,
            dossier_id=dossier_id,
            author=user.id,
            scores=scorecard["scores"],
            comment=scorecard["comment"],
            created_at=NOW,
            updated_at=NOW,
        )
        self.evaluations = [e for e in self.evaluations if e.id != evaluation.id] + [evaluation]
        return evaluation

    async def declare_conflict(self, token: str, dossier_id: UUID, reason: str) -> None:
        user = await self.user(token)
        self.conflicts.add((user.id, dossier_id))

    async def erase_personal_data(self, token: str, dossier_id: UUID, reason: str) -> None:
        user = await self.user(token)
        if not user.has_any(frozenset({StaffRole.ADMIN})):
            raise ApiRefused(403, "Réservé aux administrateurs / Admins only.")
        self._find(dossier_id)
        self.erasures.append((dossier_id, reason))

    async def list_rounds(self, token: str) -> list[RoundPublic]:
        await self.user(token)
        return [
            RoundPublic(**item.model_dump(exclude={"dossier_ids", "seats_left"}))
            for item in self.rounds
        ]

    async def get_round(self, token: str, round_id: str) -> RoundDetailPublic:
        await self.user(token)
        for item in self.rounds:
            if item.round_id == round_id:
                return item
        raise ApiRefused(404, "Session introuvable / Round not found.")

    async def create_round(self, token: str, body: dict[str, Any]) -> RoundPublic:
        user = await self.user(token)
        self.calls.append(("create_round", token, body))
        if StaffRole.ADMIN not in user.roles:
            raise ApiRefused(403, "Rôle requis / Role required: admin.")
        created = RoundDetailPublic(
            promotion_number=body["promotion_number"],
            round_id=body.get("round_id") or "7-project-new",
            kind=body["kind"],
            state=RoundState.OPEN,
            cutoff_at=body["cutoff_at"],
            deliberation_at=body["deliberation_at"],
            dossier_ids=[],
            seats_left=30,
        )
        self.rounds.append(created)
        return RoundPublic(**created.model_dump(exclude={"dossier_ids", "seats_left"}))

    async def record_round_decision(
        self, token: str, round_id: str, body: dict[str, Any]
    ) -> DecisionPublic:
        user = await self.user(token)
        if not user.has_any(frozenset({StaffRole.JURY})):
            raise ApiRefused(403, "Rôle requis / Role required: jury.")
        detail = await self.get_round(token, round_id)
        if detail.state == RoundState.OPEN:
            raise ApiRefused(409, f"La session {round_id} est encore ouverte / still open.")
        self.decisions.append((round_id, body))
        return DecisionPublic(
            dossier_id=body["dossier_id"],
            round_id=round_id,
            status=DossierStatus.PARTNERSHIP_SIGNED,
            allowed_actions=[],
        )

    async def list_promotions(self, token: str) -> list[PromotionPublic]:
        await self.user(token)
        return list(self.promotions)

    async def _contract_reader(self, token: str) -> StaffUser:
        user = await self.user(token)
        if not user.has_any(frozenset({StaffRole.STAFF})):
            raise ApiRefused(403, "Rôle requis / Role required: staff.")
        return user

    async def list_contracts(
        self, token: str, *, status: ContractStatus | None, limit: int, offset: int = 0
    ) -> ContractPage:
        await self._contract_reader(token)
        self.calls.append(("list_contracts", token, status))
        rows = [c for c in self.contracts if status is None or c.status == status]
        return ContractPage(
            items=[
                ContractSummary(
                    contract_id=c.contract_id,
                    dossier_id=c.dossier_id,
                    contract_number=c.terms.contract_number,
                    version=c.terms.version,
                    status=c.status,
                    promotion_number=c.terms.promotion_number,
                    band=c.terms.band,
                    monthly_net_eur=c.terms.monthly_net_eur,
                    eig_name=c.terms.eig_name,
                    host_administration=c.terms.host_administration,
                    project_title=c.terms.project_title,
                    start_on=c.terms.start_on,
                    end_on=c.terms.end_on,
                    offer_expires_at=c.offer_expires_at,
                    updated_at=NOW,
                )
                for c in rows[offset : offset + limit]
            ],
            total=len(rows),
        )

    async def get_contract(self, token: str, contract_id: UUID) -> ContractDetail:
        await self._contract_reader(token)
        for item in self.contracts:
            if item.contract_id == contract_id:
                return item
        raise ApiRefused(404, "Contrat introuvable / Contract not found.")

    async def apply_contract_action(
        self, token: str, contract_id: UUID, action: str, body: dict[str, Any]
    ) -> ContractOutcome:
        user = await self.user(token)
        self.calls.append(("contract_action", token, (contract_id, action, body)))
        needed = CONTRACT_ACTION_ROLES.get(action, StaffRole.STAFF)
        if not user.has_any(frozenset({needed})):
            raise ApiRefused(403, f"Rôle requis / Role required: {needed.value}.")
        item = await self.get_contract(token, contract_id)
        if self.refuse_with is not None:
            raise self.refuse_with
        if action not in item.allowed_actions:
            raise ApiRefused(
                409,
                f"Action {action} refusée dans le statut {item.status.value}.",
                current_status=item.status.value,
                allowed_actions=item.allowed_actions,
            )
        return ContractOutcome(status=item.status, allowed_actions=item.allowed_actions)

    async def contract_document(self, token: str, contract_id: UUID, fmt: str) -> Document:
        item = await self.get_contract(token, contract_id)
        self.calls.append(("document", token, (contract_id, fmt)))
        if fmt == "pdf":
            return Document(b"%PDF-1.4 fake", "application/pdf", 'inline; filename="c.pdf"')
        html = f"<html><body>{item.terms.contract_number}</body></html>"
        return Document(html.encode(), "text/html; charset=utf-8", None)

    async def pay_report(self, token: str) -> PayReport:
        await self._contract_reader(token)
        return PayReport(counted_statuses=[ContractStatus.SIGNED], promotions=[])

    # --- operations: the desk behind the staff API, for admins only ---

    async def _admin(self, token: str) -> StaffUser:
        user = await self.user(token)
        if StaffRole.ADMIN not in user.roles:
            raise ApiRefused(403, "Rôle requis / Role required: admin.")
        return user

    async def operations_status(self, token: str) -> StatusReport:
        await self._admin(token)
        self.calls.append(("operations_status", token, None))
        return await self.desk.report()

    async def dead_letter_history(self, token: str) -> DeadLetterActionList:
        await self._admin(token)
        items = await self.desk.history(limit=50)
        return DeadLetterActionList(items=[DeadLetterActionPublic.of(item) for item in items])

    async def handle_dead_letter(
        self, token: str, ref: MessageRef, decision: DeadLetterDecision, reason: str
    ) -> DeadLetterActionPublic:
        user = await self._admin(token)
        self.calls.append(("dead_letter", token, (ref, decision, reason)))
        if decision is DeadLetterDecision.DISCARD and not reason:
            raise field_refusal("reason", "String should have at least 1 character")
        handle = self.desk.replay if decision is DeadLetterDecision.REPLAY else self.desk.discard
        try:
            action = await handle(ref, actor=f"{user.name} ({user.id})", reason=reason)
        except DeadLetterError as error:
            raise ApiRefused(409, str(error)) from None
        return DeadLetterActionPublic.of(action)


def field_refusal(field_name: str, message: str) -> ApiRefused:
    return ApiRefused(
        422, "Champ invalide / Invalid field.", errors=[FieldProblem(field_name, message)]
    )
