"""Activities of the dossier workflows: the only place they touch the outside world."""

from faststream.kafka import KafkaBroker
from temporalio import activity

from libs.kafka import publish_event
from libs.messages.topics import DOSSIER_EVENTS
from workflows.dossier.models import PUBLISH_STATUS_CHANGE, PublishStatusChangeInput


class DossierActivities:
    """Activities holding the clients they need; the worker registers its bound methods."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    @activity.defn(name=PUBLISH_STATUS_CHANGE)
    async def publish_status_change(self, input: PublishStatusChangeInput) -> None:
        """Put the status change on ``eig.dossier-events.v1``, keyed by dossier id.

        At least once: a retry after a lost acknowledgement publishes the same event again,
        with the same event id, and consumers dedupe on it.
        """
        await publish_event(self._broker, DOSSIER_EVENTS, input.event)
        activity.logger.info(
            "published %s for dossier %s (event %s)",
            input.event.status,
            input.event.dossier_id,
            input.event.event_id,
        )
