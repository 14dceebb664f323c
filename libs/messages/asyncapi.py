"""AsyncAPI 3.0 document of the platform's topics, generated from the pydantic schemas.

``python -m libs.messages.asyncapi > docs/asyncapi.json`` regenerates the committed document;
a unit test fails when the committed copy is stale.
"""

import json
import sys

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from libs.messages import topics
from libs.messages.applications import ApplicationEvent
from libs.messages.contract_events import ContractEvent
from libs.messages.dossier_events import DossierEvent


def build_specification() -> AsyncAPI:
    # A broker used only to describe the contract: it is never started.
    broker = KafkaBroker("kafka:9092", description="EIG dossier platform event bus")
    broker.publisher(
        topics.APPLICATIONS,
        title="applications",
        description="Applications, relayed from intake's outbox. Key: dossier id. "
        "ApplicationReceived when intake stores one (consumed by notifications, group "
        "notifications-applications: the e-mail address confirmation request), then "
        "*ApplicationSubmitted once the address is confirmed (consumed by the workflows bridge, "
        "group workflows-bridge, and the staff read model, group "
        "selection-read-model-applications).",
        schema=ApplicationEvent,
    )
    broker.publisher(
        topics.DOSSIER_EVENTS,
        title="dossier-events",
        description="Every dossier status change, published by the dossier workflows. "
        "Key: dossier id. Consumed by notifications, the applicant status view, the public "
        "results (intake) and the staff read model (selection).",
        schema=DossierEvent,
    )
    broker.publisher(
        topics.CONTRACT_EVENTS,
        title="contract-events",
        description="Every contract status change, offer reminder and renewal decision, "
        "published by the contract workflows. Key: the candidate's dossier id. Consumed by "
        "notifications (group notifications-contracts), the contracts read model "
        "(group contracts-read-model) and the public results (group "
        "intake-public-results-contracts).",
        schema=ContractEvent,
    )
    for dlq, source in (
        (
            topics.NOTIFICATIONS_DLQ,
            f"{topics.APPLICATIONS}, {topics.DOSSIER_EVENTS} and {topics.CONTRACT_EVENTS}",
        ),
        (topics.CONTRACTS_READ_MODEL_DLQ, topics.CONTRACT_EVENTS),
        (topics.INTAKE_STATUS_VIEW_DLQ, topics.DOSSIER_EVENTS),
        (topics.PUBLIC_RESULTS_DLQ, f"{topics.DOSSIER_EVENTS} and {topics.CONTRACT_EVENTS}"),
        (topics.SELECTION_READ_MODEL_DLQ, f"{topics.APPLICATIONS} and {topics.DOSSIER_EVENTS}"),
        (topics.WORKFLOWS_BRIDGE_DLQ, topics.APPLICATIONS),
    ):
        broker.publisher(
            dlq,
            title=dlq.removeprefix("eig.").removesuffix(".v1"),
            description=f"Dead letters: messages of {source} that could not be handled, "
            f"unchanged, with headers {topics.Headers.DLQ_ERROR}, "
            f"{topics.Headers.DLQ_SOURCE_TOPIC} and {topics.Headers.DLQ_SOURCE_OFFSET}.",
            schema=bytes,
        )
    return AsyncAPI(
        broker,
        title="EIG dossier platform — events",
        version="1.0.0",
        description="Topics, keys and message schemas shared by the platform's services.",
    )


def render_json() -> str:
    document = build_specification().to_specification().to_jsonable()
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)


if __name__ == "__main__":
    sys.stdout.write(render_json() + "\n")
