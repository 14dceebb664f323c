"""The operations report and the dead-letter actions (``/api/v1/operations``, admins only).

Handlers only translate: :class:`~libs.operations.desk.OperationsDesk` reads the sources and
acts (the same desk as ``python -m deploy.status``). The console's ops page calls these
routes with the signed-in admin's token, so a replay from the page is audited under their name.
"""

from collections.abc import Awaitable
from typing import Annotated

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Path, Query, Request

from libs.api_errors import ERROR_RESPONSES, ApiError, ErrorResponse, FieldError
from libs.auth import AUTH_RESPONSES, AdminDep, StaffUser
from libs.messages.topics import DEAD_LETTER_TOPICS
from libs.operations.dead_letters import DeadLetterError, MessageRef
from libs.operations.desk import OperationsDesk
from libs.operations.models import DeadLetterAction
from libs.operations.report import DeadLetters, StatusReport
from services.selection.schemas import (
    DeadLetterActionList,
    DeadLetterActionPublic,
    DeadLetterDecisionBody,
    DeadLetterDiscardBody,
)

RETRY_AFTER_SECONDS = 5
MAX_PARTITION = 2**31 - 1
MAX_OFFSET = 2**63 - 1

router = APIRouter(
    prefix="/api/v1/operations",
    tags=["operations"],
    responses={
        **ERROR_RESPONSES,
        **AUTH_RESPONSES,
        503: {"model": ErrorResponse, "description": "Kafka did not answer; retry later"},
    },
)


def desk(request: Request) -> OperationsDesk:
    operations: OperationsDesk = request.app.state.selection.operations
    return operations


def actor(user: StaffUser) -> str:
    return f"{user.name} ({user.id})" if user.name else user.id


@router.get("/status", response_model=StatusReport, summary="What is stuck, where and since when")
async def status_report(request: Request, _user: AdminDep) -> StatusReport:
    """Every source at once (each within its own time limit: an unreadable one is reported, not
    raised); ``level`` is the worst of the sections'."""
    return await desk(request).report()


@router.get("/dead-letters", response_model=DeadLetters, summary="Dead letters left to handle")
async def list_dead_letters(
    request: Request,
    _user: AdminDep,
    newest: Annotated[int, Query(ge=1, le=100, description="Messages shown per topic")] = 20,
) -> DeadLetters:
    """Per dead-letter topic: how many are left, the oldest's time, the newest messages with
    their ``eig-dlq-*`` headers, and only the non-personal fields of their payload."""
    try:
        return await desk(request).dead_letters(newest=newest)
    except (KafkaError, TimeoutError, OSError) as error:
        raise kafka_unavailable(error) from error


@router.get(
    "/dead-letters/actions",
    response_model=DeadLetterActionList,
    summary="Who replayed or discarded what",
)
async def dead_letter_history(
    request: Request,
    _user: AdminDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeadLetterActionList:
    """The audit of dead-letter actions, newest first."""
    items = await desk(request).history(limit=limit)
    return DeadLetterActionList(items=[DeadLetterActionPublic.of(item) for item in items])


MESSAGE_PATH = "/dead-letters/{topic}/{partition}/{offset}"
TopicParam = Annotated[str, Path(max_length=255, description="A dead-letter topic")]
PartitionParam = Annotated[int, Path(ge=0, le=MAX_PARTITION)]
OffsetParam = Annotated[int, Path(ge=0, le=MAX_OFFSET)]


@router.post(
    MESSAGE_PATH + "/replay",
    response_model=DeadLetterActionPublic,
    summary="Publish a dead letter to its source topic again",
    responses={
        404: {"model": ErrorResponse, "description": "Not a dead-letter topic"},
        409: {"model": ErrorResponse, "description": "The message is not waiting"},
    },
)
async def replay_dead_letter(
    request: Request,
    user: AdminDep,
    topic: TopicParam,
    partition: PartitionParam,
    offset: OffsetParam,
    body: DeadLetterDecisionBody,
) -> DeadLetterActionPublic:
    """Consumers deduplicate on the event id, so a replay is safe; recorded with its actor."""
    ref = message_ref(topic, partition, offset)
    return await decide(desk(request).replay(ref, actor=actor(user), reason=body.reason))


@router.post(
    MESSAGE_PATH + "/discard",
    response_model=DeadLetterActionPublic,
    summary="Mark a dead letter handled without publishing it",
    responses={
        404: {"model": ErrorResponse, "description": "Not a dead-letter topic"},
        409: {"model": ErrorResponse, "description": "The message is not waiting"},
        422: {"model": ErrorResponse, "description": "No reason given"},
    },
)
async def discard_dead_letter(
    request: Request,
    user: AdminDep,
    topic: TopicParam,
    partition: PartitionParam,
    offset: OffsetParam,
    body: DeadLetterDiscardBody,
) -> DeadLetterActionPublic:
    """Left out for good: a reason is required, and recorded with its actor."""
    ref = message_ref(topic, partition, offset)
    return await decide(desk(request).discard(ref, actor=actor(user), reason=body.reason))


def message_ref(topic: str, partition: int, offset: int) -> MessageRef:
    if topic not in DEAD_LETTER_TOPICS:
        raise ApiError(
            404,
            "Ce n’est pas une file de messages en échec / Not a dead-letter topic.",
            [FieldError(field="path.topic", message="Unknown dead-letter topic", type="enum")],
        )
    return MessageRef(topic, partition, offset)


async def decide(action: Awaitable[DeadLetterAction]) -> DeadLetterActionPublic:
    try:
        return DeadLetterActionPublic.of(await action)
    except DeadLetterError as error:
        raise ApiError(409, str(error)) from None
    except (KafkaError, TimeoutError, OSError) as error:
        raise kafka_unavailable(error) from error


def kafka_unavailable(error: Exception) -> ApiError:
    return ApiError(
        503,
        f"Kafka ne répond pas / Kafka does not answer ({type(error).__name__}).",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
