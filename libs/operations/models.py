"""The operations' own table: who replayed or discarded which dead-lettered message, and when."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime


class DeadLetterDecision(StrEnum):
    REPLAY = "replay"
    """Published again to its source topic (consumers deduplicate on the event id)."""
    DISCARD = "discard"
    """Left out for good."""


class DeadLetterAction(SQLModel, table=True):
    """The audit of one handled dead letter; also what marks it handled (docs/adr/0012).

    A message is identified by topic, partition, offset *and* its timestamp: the embedded
    broker keeps records in memory, so after a restart a new message can take an old offset.
    """

    __tablename__ = "dead_letter_actions"
    __table_args__ = (
        UniqueConstraint(
            "topic", "partition", "offset", "message_timestamp_ms", name="uq_dead_letter_actions"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=255, index=True)
    partition: int
    offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_timestamp_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    source_topic: str | None = Field(default=None, max_length=255)
    decision: str = Field(max_length=16, description="replay or discard")
    actor: str = Field(max_length=255, description="Who decided: a staff id, or cli:<user>")
    acted_at: datetime = Field(sa_type=UtcDateTime)
    reason: str = Field(default="", sa_type=Text, description="Why, in the actor's words")
