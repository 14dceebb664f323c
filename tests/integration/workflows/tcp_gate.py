"""A TCP forwarder that can be shut, to make a real server unreachable and reachable again."""

import asyncio
import contextlib

from deploy.local.engines import free_port


class TcpGate:
    """Listens on ``port`` and forwards to ``target`` while open.

    While shut, every connection is accepted and closed at once (and counted in ``refused``),
    as a server that is down would; shutting also cuts the connections already forwarded.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.is_open = False
        self.refused = 0
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def __aenter__(self) -> "TcpGate":
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def open(self) -> None:
        self.is_open = True

    async def shut(self) -> None:
        self.is_open = False
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if not self.is_open:
            self.refused += 1
            writer.close()
            return
        pipe = asyncio.create_task(self._forward(reader, writer))
        self._pipes.add(pipe)
        pipe.add_done_callback(self._pipes.discard)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            target_reader, target_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(_copy(reader, target_writer), _copy(target_reader, writer))
        finally:
            for stream in (writer, target_writer):
                stream.close()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(ConnectionError, OSError):
        writer.write_eof()
