"""Who may see a contract: the EIG through their private link, checked in one place."""

from uuid import UUID

from libs.dossier_links import is_valid_token
from libs.messages.contract_events import ContractStatus
from services.contracts import service_layer
from services.contracts.bootstrap import Contracts


def document_path(contract_id: UUID, extension: str) -> str:
    return f"/api/v1/contracts/{contract_id}/document.{extension}"


async def applicant_view(
    contracts: Contracts, contract_id: str, token: str | None
) -> service_layer.ContractView | None:
    """The contract if ``token`` is the private-link token of its dossier and the offer was
    sent; None otherwise (one identical 404 for a wrong link, an unknown id and a draft)."""
    try:
        parsed = UUID(contract_id)
    except ValueError:
        return None
    if not token:
        return None  # nothing to check: do not even look the contract up
    view = await service_layer.contract_view(
        contracts.sessions, contracts.contract_workflows, parsed
    )
    if view is None or not is_valid_token(contracts.link_secret, view.dossier_id, token):
        return None
    # A draft may still change (its start date): the EIG sees the contract once offered.
    return None if view.status == ContractStatus.DRAFTED else view
