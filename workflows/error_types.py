"""The ``type`` of every ``ApplicationError`` the workflows and activities raise, in one place.

Callers branch on these: the clients translate them (:mod:`workflows.client_errors`), retry
policies name the ones not worth retrying, tests assert them. Pure (a ``StrEnum``, equal to its
text on the wire), so workflows import it through the sandbox at no cost.
"""

from enum import StrEnum


class ErrorType(StrEnum):
    # Refusals of an action, by the dossier and contract update validators (nothing is
    # written to the history); details[0] as in workflows.action_rules.refusal_error.
    UNKNOWN_ACTION = "UnknownAction"
    ACTION_NOT_ALLOWED = "ActionNotAllowed"
    """details: {"status", "allowed_actions"}."""
    INVALID_ACTION_BODY = "InvalidActionBody"
    """details: {"errors": [{"field", "message"}]}."""

    # Failures of an update's handler: decisions, shown as they are.
    ACTION_REFUSED = "ActionRefused"
    """The world said no (project not signed, role not wanted, project not found)."""
    SEATS_EXHAUSTED = "SeatsExhausted"
    """details: {"seats_taken", "seat_cap"}."""
    ACTION_FAILED = "ActionFailed"
    """The handler broke on something its validator let through (workflows.update_handlers):
    the update fails rather than the workflow task, and the workflow keeps running."""

    # Failures of an update's handler: a dependency did not answer, nothing was decided.
    DOSSIER_UNAVAILABLE = "DossierUnavailable"
    PROMOTION_UNAVAILABLE = "PromotionUnavailable"

    # Refusals of the promotion's update validators; details: {"field"}, the field at fault.
    INVALID_ROUND = "InvalidRound"
    """A round plan breaks a rule (deliberation before its cut-off, cut-off in the past)."""
    ROUND_EXISTS = "RoundExists"
    """The round id is taken."""
    NAIVE_DATETIME = "NaiveDatetime"
    """A datetime without a time zone cannot be compared with workflow time."""
    WRONG_PROMOTION = "WrongPromotion"
    """The input names another promotion."""

    # Activities.
    DOSSIER_NOT_FOUND = "DossierNotFound"
    """describe_dossier: no dossier workflow under this id (not retried)."""
    PROMOTION_REFUSED = "PromotionRefused"
    """A promotion activity whose update the promotion refused (not retried)."""
    PAY_POLICY_NOT_FOUND = "PayPolicyNotFound"
    INVALID_PAY_POLICY = "InvalidPayPolicy"
    """load_pay_policy: retried on purpose, until a fixed policy file is deployed."""
