"""Stand-ins for where activities put their events (libs.outbox.writer.EventSink)."""

from dataclasses import dataclass, field

from libs.messages.envelope import Event


@dataclass
class RecordedEvents:
    """Keeps every event put, with its topic, in order."""

    events: list[tuple[str, Event]] = field(default_factory=list)

    async def put(self, topic: str, event: Event) -> None:
        self.events.append((topic, event))
