"""Running ``python -m deploy.local`` on free ports with its own DATA_DIR, as tests need it."""

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.local.engines import free_port
from deploy.local.launcher import REPO_ROOT
from tests.eventually import eventually

PORT_SETTINGS = (
    "KAFKA_PORT",
    "TEMPORAL_PORT",
    "TEMPORAL_UI_PORT",
    "SMTP_PORT",
    "INTAKE_PORT",
    "SELECTION_PORT",
    "CONTRACTS_PORT",
    "NOTIFICATIONS_PORT",
    "WORKFLOWS_PORT",
    "CONSOLE_PORT",
)

StackState = dict[str, Any]


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def free_ports() -> dict[str, int]:
    """A distinct free port for each of :data:`PORT_SETTINGS`."""
    ports: dict[str, int] = {}
    while len(set(ports.values())) < len(PORT_SETTINGS):
        ports = {name: free_port() for name in PORT_SETTINGS}
    return ports


def read_state(stack_file: Path) -> StackState | None:
    try:
        state: StackState = json.loads(stack_file.read_text())
        return state
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@dataclass
class RunningStack:
    launcher: asyncio.subprocess.Process
    stack_file: Path
    state: StackState
    output: Path

    @property
    def urls(self) -> dict[str, str]:
        urls: dict[str, str] = self.state["urls"]
        return urls

    def current_state(self) -> StackState:
        return read_state(self.stack_file) or {}


@asynccontextmanager
async def local_stack(
    workdir: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[RunningStack]:
    """Start the launcher, wait for ``stack.json`` (everything healthy), SIGTERM it at the end."""
    data_dir = workdir / "eig"
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update({name: str(port) for name, port in free_ports().items()})
    environment["DATA_DIR"] = str(data_dir)
    environment.update(extra_env or {})
    output = workdir / "launcher.out"
    with output.open("wb") as sink:
        launcher = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "deploy.local",
            cwd=REPO_ROOT,
            env=environment,
            stdout=sink,
            stderr=asyncio.subprocess.STDOUT,
        )
    stack_file = data_dir / "stack.json"

    async def started() -> StackState | None:
        if launcher.returncode is not None:
            raise AssertionError(f"launcher exited {launcher.returncode}: {output.read_text()}")
        return read_state(stack_file)

    try:
        # Generous: a busy 2-core machine can take minutes to bring every part up.
        state = await eventually(started, timeout=300, interval=0.2)
        assert state is not None
        yield RunningStack(launcher, stack_file, state, output)
    finally:
        if launcher.returncode is None:
            launcher.send_signal(signal.SIGTERM)
            await asyncio.wait_for(launcher.wait(), 60)
