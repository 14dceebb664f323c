"""Reports (``/api/v1/reports``): pay per promotion and band, with its equity check."""

from fastapi import APIRouter

from libs.api_params import PromotionFilter
from libs.auth import AUTH_RESPONSES, StaffDep
from services.contracts import service_layer
from services.contracts.api.dependencies import ContractsDep
from services.contracts.schemas import PayReport

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=AUTH_RESPONSES)

COUNTED = ", ".join(status.value for status in service_layer.PAY_REPORT_STATUSES)


@router.get(
    "/pay",
    summary="Pay per promotion and band: counts, amounts, and a check that pay is identical",
    description=(
        "Counts each contract once, at its current version, when its status is one of: "
        f"{COUNTED} (declined and expired offers are left out). Per band: the number of "
        "contracts, the band's monthly net pay, the totals of annual fixed net pay and of "
        "maximum annual variable pay, and a check line (`check.identical`) that is true when "
        "every counted contract of the band has the same pay. Amounts are net, in euros."
    ),
)
async def pay_report(
    contracts: ContractsDep,
    _user: StaffDep,
    promotion: PromotionFilter = None,
) -> PayReport:
    return await service_layer.pay_report(contracts.sessions, promotion_number=promotion)
