"""The programme's public results (``/api/v1/public/results``): the JSON of ``/resultats``.

Counts fed by the events (a read model, :mod:`services.intake.read_model`), never by asking
Temporal; no personal data."""

from typing import Annotated, Final

from fastapi import APIRouter, Query

from libs.api_errors import ApiError, ErrorResponse, FieldError
from services.intake.api.dependencies import API_PREFIX, IntakeDep
from services.intake.schemas import PublicResults
from services.intake.service_layer import UnknownPromotion, public_results

router = APIRouter(prefix=API_PREFIX, tags=["public results"])

PROMOTION_FIELD: Final = "promotion"

PromotionQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=1000,
        description="One promotion's results (default: every promotion, newest first)",
    ),
]


def unknown_promotion(number: int) -> ApiError:
    return ApiError(
        404,
        f"No results for promotion {number}.",
        [
            FieldError(
                field=PROMOTION_FIELD,
                message=f"promotion {number} has no results: neither the current promotion "
                "nor one an application was counted for",
                type="unknown_promotion",
            )
        ],
    )


async def results_of(intake: IntakeDep, promotion: int | None) -> PublicResults:
    """The use case for every format (JSON, page, CSV); an unknown promotion is a 404."""
    try:
        return await public_results(
            intake.sessions,
            current_promotion=intake.settings.CURRENT_PROMOTION_NUMBER,
            promotion=promotion,
        )
    except UnknownPromotion:
        assert promotion is not None
        raise unknown_promotion(promotion) from None


@router.get(
    "/public/results",
    summary="The programme's public results, per promotion",
    description="Applications received per month and kind, projects selected (signed "
    "partnerships: title and administration), EIG recruited per role and pay band, seats used "
    "against the cap, contracts renewed. The same figures as the page /resultats and the CSV "
    "/resultats.csv. No personal data.",
    response_model=PublicResults,
    responses={
        404: {"model": ErrorResponse, "description": "No results for this promotion"},
        422: {"model": ErrorResponse, "description": "Invalid query parameter"},
    },
)
async def get_public_results(intake: IntakeDep, promotion: PromotionQuery = None) -> PublicResults:
    return await results_of(intake, promotion)
