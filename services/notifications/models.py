"""What the service persists: one row per e-mail accepted by SMTP."""

from datetime import datetime
from uuid import UUID

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
        description="When the SMTP server accepted it",
    )
