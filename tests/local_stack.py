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
from uuid import UUID

import httpx

from deploy.local.engines import free_port
from deploy.local.launcher import REPO_ROOT
from libs.dossier_links import LinkKeys, Purpose, parse_secret, status_url
from tests.email_confirmation import confirm_through_the_email
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

UNLIMITED_INTAKE = {"RATE_LIMIT_PER_ADDRESS": "1000000", "RATE_LIMIT_PER_EMAIL": "1000000"}


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def free_ports(given: dict[str, str] | None = None) -> dict[str, int]:
    """A distinct free port for each of :data:`PORT_SETTINGS`, those ``given`` kept (a
    console whose URL must be known before it starts, for its OIDC redirect)."""
    kept = {name: int(value) for name, value in (given or {}).items() if name in PORT_SETTINGS}
    ports: dict[str, int] = {}
    while len(set(ports.values())) < len(PORT_SETTINGS):
        ports = {name: free_port() for name in PORT_SETTINGS} | kept
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

    def hold_down(self, part: str) -> int:
        """Kill ``part`` (SIGKILL) and keep it down until :meth:`release`, when the
        supervisor restarts it (``DATA_DIR/hold/<part>``, deploy/local/launcher.py): an
        outage that lasts as long as a test observes it. The pid killed."""
        (Path(self.state["hold_dir"]) / part).touch()
        pid = int(self.current_state()["pids"][part])
        os.kill(pid, signal.SIGKILL)
        return pid

    def release(self, part: str) -> None:
        (Path(self.state["hold_dir"]) / part).unlink(missing_ok=True)

    async def restarted(self, part: str, old_pid: int, timeout: float = 300) -> int:
        """Until stack.json lists a new pid for ``part`` (written once it is ready again)."""

        async def new_pid() -> int:
            pid = self.current_state().get("pids", {}).get(part)
            return 0 if pid in (None, old_pid) else int(pid)

        return await eventually(new_pid, timeout=timeout, interval=0.2)

    async def apply(
        self, http: httpx.AsyncClient, kind: str, form: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply (``kind``: ``candidates`` or ``projects``) and confirm the e-mail address
        through the confirmation e-mail's link, as the applicant does; the 202's body with the
        ``status_url`` the next e-mail carries."""
        response = await http.post(f"{self.urls['intake']}/api/v1/applications/{kind}", json=form)
        assert response.status_code == 202, response.text
        accepted: dict[str, Any] = response.json()
        address = form["email"] if kind == "candidates" else form["contact_email"]
        await confirm_through_the_email(Path(self.state["maildir"]), address)
        keys = self.link_keys()
        return accepted | {
            "status_url": status_url(self.urls["intake"], keys, UUID(accepted["dossier_id"]))
        }

    def link_keys(self) -> LinkKeys:
        """The keys of the stack's own random secret (kept in its DATA_DIR)."""
        secret = (Path(self.state["data_dir"]) / "link-secret").read_text()
        return LinkKeys.single(parse_secret(secret))

    def link_token(self, purpose: Purpose, dossier_id: str | UUID) -> str:
        """The token of the private link for ``purpose`` that the stack's e-mails carry,
        made with the stack's own random secret."""
        return self.link_keys().token(purpose, UUID(str(dossier_id)))


@asynccontextmanager
async def local_stack(
    workdir: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[RunningStack]:
    """Start the launcher, wait for ``stack.json`` (everything healthy), SIGTERM it at the end."""
    data_dir = workdir / "eig"
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update({name: str(port) for name, port in free_ports(extra_env).items()})
    environment["DATA_DIR"] = str(data_dir)
    # Suites and load scripts send hundreds of applications from one loopback address; the
    # limits themselves are tested on intake directly (tests/*/services/intake).
    environment.update(UNLIMITED_INTAKE)
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
