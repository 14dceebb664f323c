"""The envelope every event travels in."""

from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every event: consumers dedupe on ``event_id`` and route on ``type``.

    Subclasses fix ``type`` with a ``Literal`` and give ``payload`` its model.
    ``schema_version`` changes only in backward-compatible ways within one topic.
    """

    model_config = ConfigDict(frozen=True)

    SCHEMA_VERSION: ClassVar[int] = 1

    event_id: UUID = Field(default_factory=uuid4, description="Unique id; consumers dedupe on it")
    type: str = Field(description="Event type name, past tense")
    schema_version: int = Field(default=1, description="Version of this event type's schema")
    occurred_at: datetime = Field(default_factory=utc_now, description="When it happened (UTC)")
    dossier_id: UUID = Field(description="The dossier it concerns; also the Kafka key")

    @property
    def key(self) -> bytes:
        """Kafka key: the dossier id, so one dossier's events keep their order."""
        return str(self.dossier_id).encode()
