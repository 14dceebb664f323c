"""The outbox table, shared by every process that publishes through it."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, Index, Text, text
from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime
from libs.tracing import TRACEPARENT_MAX_LENGTH


class OutboxOrigin:
    """Which process's relay publishes a row (each relays only its own, waking at once)."""

    INTAKE = "intake"
    WORKFLOWS = "workflows"


class OutboxMessage(SQLModel, table=True):
    """A Kafka record written in its producer's transaction, published by the relay after commit."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # Only unsent rows are ever scanned; the partial index stays tiny as rows are sent.
        Index(
            "ix_outbox_messages_pending",
            "id",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: UUID = Field(unique=True)
    origin: str = Field(
        default=OutboxOrigin.INTAKE,
        max_length=32,
        sa_column_kwargs={"server_default": OutboxOrigin.INTAKE},
        description="The process whose relay publishes the row (OutboxOrigin)",
    )
    topic: str = Field(max_length=255)
    key: str = Field(max_length=255, index=True, description="Kafka key: the dossier id")
    payload: str = Field(sa_type=Text, description="The serialized event")
    headers: dict[str, str] = Field(sa_type=JSON)
    created_at: datetime = Field(sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sent_epoch: str | None = Field(
        default=None,
        max_length=64,
        description="The broker epoch the row was acknowledged under (libs.broker_epoch)",
    )
    traceparent: str | None = Field(
        default=None,
        max_length=TRACEPARENT_MAX_LENGTH,
        description="The W3C trace context of the work that wrote the row (libs.tracing): the "
        "relay publishes under it, so the record continues that trace",
    )
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=Text)
