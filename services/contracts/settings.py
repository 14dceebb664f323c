"""Contracts service settings: the shared connection settings plus where it listens."""

from libs.config import PlatformSettings


class ContractsSettings(PlatformSettings):
    CONTRACTS_HOST: str = "127.0.0.1"
    CONTRACTS_PORT: int = 8002
