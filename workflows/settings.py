"""Settings of the workflows process (worker, Kafka bridge, health endpoints)."""

from libs.config import PlatformSettings
from libs.messages.topics import ConsumerGroups


class WorkflowsSettings(PlatformSettings):
    WORKFLOWS_HOST: str = "127.0.0.1"
    """Where the process serves /healthz, /readyz and /metrics."""
    WORKFLOWS_PORT: int = 8004
    WORKFLOWS_BRIDGE_CONSUMER_GROUP: str = ConsumerGroups.WORKFLOWS_BRIDGE
    """Consumer group of the applications → workflows bridge; it keeps the bridge's offsets."""
