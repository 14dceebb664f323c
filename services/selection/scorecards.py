"""The evaluation criteria of each kind of dossier and how scorecards add up (pure domain)."""

from collections.abc import Sequence
from typing import Final

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus

MIN_SCORE: Final = 0
MAX_SCORE: Final = 3

CRITERIA: Final[dict[DossierKind, tuple[str, ...]]] = {
    DossierKind.PROJECT: (
        "proven_problem",
        "major_problem",
        "actionable_problem",
        "product_approach_fit",
        "sponsorship",
        "autonomy",
        "priority_policy",
        "roadmap",
        "entrepreneurial_ambition",
    ),
    DossierKind.CANDIDATE: (
        "entrepreneurial_track_record",
        "product_or_tech_leadership",
        "public_interest_motivation",
    ),
}


SCORED_STATUSES: Final = frozenset(
    {
        DossierStatus.IN_EVALUATION,
        DossierStatus.ELIGIBLE,
        DossierStatus.SCHEDULED,
        DossierStatus.DEFENDED,
        DossierStatus.IN_REVIEW,
        DossierStatus.INTERVIEW,
    }
)
"""Where a dossier waits for evaluators' scorecards: from evaluation to the jury (projects),
from review to the interview's outcome (candidates)."""


def scorecard_errors(kind: DossierKind, scores: dict[str, int]) -> dict[str, str]:
    """Criterion → what is wrong with it: missing, or not a criterion of this kind."""
    expected = CRITERIA[kind]
    errors = {
        name: "Field required for this kind of dossier" for name in expected if name not in scores
    }
    errors.update(
        {
            name: f"Not a criterion of a {kind.value} dossier"
            for name in scores
            if name not in expected
        }
    )
    return errors


def criterion_means(kind: DossierKind, scorecards: Sequence[dict[str, int]]) -> dict[str, float]:
    """Mean score of each criterion over the scorecards (0.0 when there are none)."""
    if not scorecards:
        return dict.fromkeys(CRITERIA[kind], 0.0)
    return {
        name: round(sum(card.get(name, 0) for card in scorecards) / len(scorecards), 2)
        for name in CRITERIA[kind]
    }
