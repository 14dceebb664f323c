"""Selection's Prometheus metrics (process-wide, like the registry they live in)."""

from enum import StrEnum

from prometheus_client import Counter


class ReadModelOutcome(StrEnum):
    APPLIED = "applied"
    """The event changed the read model."""
    DUPLICATE = "duplicate"
    """Already seen (a redelivery or a replay): nothing changed."""
    IGNORED = "ignored"
    """Read but not for the read model now (a reminder for a stage the dossier has left)."""


class ActionResultLabel(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    """409: not allowed in the dossier's status, refused by the workflow, round still open."""
    INVALID = "invalid"
    """422 from the workflow's own check of the body (the API's checks answer before)."""
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


READ_MODEL_EVENTS = Counter(
    "selection_read_model_events_total",
    "Events read into the staff read model, by event (application, status_changed, "
    "deadline_passed) and outcome (applied, duplicate, ignored)",
    ["event", "outcome"],
)
READ_MODEL_DEAD_LETTERS = Counter(
    "selection_read_model_dead_letters_total",
    "Messages the staff read model could not read, sent to its dead-letter topic",
)
ACTIONS = Counter(
    "selection_actions_total",
    "Staff actions sent to dossier workflows (jury decisions included), by action and result "
    "(ok, refused, invalid, not_found, unavailable)",
    ["action", "result"],
)
EVALUATIONS = Counter(
    "selection_evaluations_total",
    "Scorecards written, by operation (created, updated)",
    ["operation"],
)


def count_read_model_event(event: str, outcome: ReadModelOutcome) -> None:
    READ_MODEL_EVENTS.labels(event=event, outcome=outcome.value).inc()


def count_action(action: str, result: ActionResultLabel) -> None:
    ACTIONS.labels(action=action, result=result.value).inc()
