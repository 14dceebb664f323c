"""A Tansu broker a test may kill and start again on the same port (it comes back empty)."""

import asyncio

from deploy.local.engines import free_port, tansu_command, wait_for_port
from libs.kafka import ensure_topics
from libs.kafka_connection import KafkaConnection


class OwnBroker:
    """A Tansu broker this test may stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, *, create_topics: bool = True) -> None:
        """Start the broker; ``create_topics=False`` leaves creating them to the clients (as
        when the launcher has not reached them yet after a restart)."""
        self.process = await asyncio.create_subprocess_exec(
            *tansu_command("127.0.0.1", self.port),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await wait_for_port("127.0.0.1", self.port)
        if create_topics:  # memory storage: topics vanish with the process
            await ensure_topics(KafkaConnection(self.bootstrap))

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def restart(self) -> None:
        await self.stop()
        await self.start()
