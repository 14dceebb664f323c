"""What the service persists: one row per dossier event whose e-mail was accepted by SMTP."""

from datetime import datetime
from uuid import UUID

from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime
from libs.messages.envelope import utc_now


class SentNotification(SQLModel, table=True):
    """The dedupe record: a redelivered or replayed event whose id is here sends nothing."""

    __tablename__ = "sent_notifications"

    event_id: UUID = Field(primary_key=True, description="Id of the dossier event")
    dossier_id: UUID = Field(index=True, description="Dossier the e-mail was about")
    template: str = Field(max_length=100, description="Template used, e.g. received/candidate")
    sent_at: datetime = Field(
        default_factory=utc_now,
        sa_type=UtcDateTime,
        description="When the SMTP server accepted it",
    )
