"""Selection service settings: the shared connection settings plus where it listens."""

from libs.config import PlatformSettings


class SelectionSettings(PlatformSettings):
    SELECTION_HOST: str = "127.0.0.1"
    SELECTION_PORT: int = 8001
