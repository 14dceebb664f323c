"""What the service persists: one row per e-mail accepted by SMTP, one per failed attempt."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime
from libs.messages.envelope import utc_now


class SentNotification(SQLModel, table=True):
    """The dedupe record: an e-mail whose key is here is not sent again on redelivery or replay.

    The key column keeps its historical name: for a dossier event (one e-mail at most) it is
    the event id; for a contract event (several e-mails) it is derived per (event, template),
    see ``rendering.notification_id``. So the table and its migration are unchanged.
    """

    __tablename__ = "sent_notifications"

    event_id: UUID = Field(
        primary_key=True,
        description="Dedupe key: the dossier event's id, or uuid5(contract event id, template)",
    )
    dossier_id: UUID = Field(index=True, description="Dossier the e-mail was about")
    template: str = Field(max_length=100, description="Template used, e.g. received/candidate")
    sent_at: datetime = Field(
        default_factory=utc_now,
        sa_type=UtcDateTime,
        index=True,
        description="When the SMTP server accepted it",
    )
    event_occurred_at: datetime | None = Field(
        default=None,
        sa_type=UtcDateTime,
        description="When the event happened: sent_at minus this is the delivery delay "
        "(None on rows written before it was recorded)",
    )


class NotificationFailure(SQLModel, table=True):
    """One attempt to send an e-mail that SMTP refused (the operations report counts them)."""

    __tablename__ = "notification_failures"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: UUID = Field(index=True, description="The e-mail's dedupe key")
    dossier_id: UUID
    template: str = Field(max_length=100)
    failed_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime, index=True)
    error: str = Field(sa_type=Text, description="The SMTP error, without the recipient")
