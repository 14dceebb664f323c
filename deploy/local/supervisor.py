"""Start processes in order, each once healthy; restart the ones that crash; stop in reverse.

What to run is data (:class:`ProcessSpec` for long-running parts, :class:`TaskSpec` for one-off
steps such as migrations); :class:`Supervisor` holds no knowledge of the platform itself.
"""

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

ReadinessProbe = Callable[[], Awaitable[object]]
"""Raises while the part is not ready yet."""

Reporter = Callable[[str], None]

HeldCheck = Callable[[str], bool]
"""Whether the named part must stay down for now (a fault drill holds it)."""

HOLD_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class PortClaim:
    """A port a part listens on, and the setting that moves it (for the conflict message)."""

    port: int
    setting: str
    purpose: str


@dataclass(frozen=True)
class ProcessSpec:
    """A long-running part: restarted with backoff whenever it exits."""

    name: str
    command: Sequence[str]
    ready: ReadinessProbe
    """Checked after every (re)start: it may also restore state, e.g. a memory broker's topics."""
    env: Mapping[str, str] | None = None
    ports: Sequence[PortClaim] = ()
    start_timeout: float = 90.0
    with_previous: bool = False
    """Start at the same time as the process step before it instead of once it is ready: a
    run of such steps is launched at once and awaited together (parts that only depend on
    what came before the run, e.g. the platform's services once the engines are up)."""


@dataclass(frozen=True)
class TaskSpec:
    """A one-off step that must exit 0 before the next part starts (e.g. migrations)."""

    name: str
    command: Sequence[str]
    env: Mapping[str, str] | None = None
    timeout: float = 120.0


Step = ProcessSpec | TaskSpec


@dataclass(frozen=True)
class Backoff:
    """Delay before restart number ``attempt``; the count resets once a run was stable."""

    initial: float = 1.0
    maximum: float = 30.0
    stable_after: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.maximum, self.initial * 2 ** (attempt - 1)))


class StartupFailed(Exception):
    def __init__(self, name: str, reason: str, log_tail: Sequence[str] = ()) -> None:
        self.name = name
        self.reason = reason
        self.log_tail = list(log_tail)
        super().__init__(f"{name}: {reason}")


@dataclass
class _Child:
    spec: ProcessSpec
    log_file: Path
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restarts: int = 0
    monitor: asyncio.Task[None] | None = field(default=None, repr=False)


def log_tail(path: Path, lines: int = 15) -> list[str]:
    """The last lines of a child's log, for crash reports."""
    try:
        with path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 16_384))
            text = log.read().decode(errors="replace")
    except FileNotFoundError:
        return []
    return text.splitlines()[-lines:]


class Supervisor:
    def __init__(
        self,
        steps: Sequence[Step],
        *,
        log_dir: Path,
        cwd: Path | None = None,
        backoff: Backoff = Backoff(),
        stop_timeout: float = 10.0,
        report: Reporter = logger.info,
        on_restart: Callable[[str], None] | None = None,
        held: HeldCheck | None = None,
    ) -> None:
        names = [step.name for step in steps]
        if len(set(names)) != len(names):
            raise ValueError(f"step names must be unique: {names}")
        self.steps = list(steps)
        self.log_dir = log_dir
        self.cwd = cwd
        self.backoff = backoff
        self.stop_timeout = stop_timeout
        self.report = report
        self.on_restart = on_restart
        self.held = held
        self._children: list[_Child] = []  # in start order; stopped in reverse
        self._stopping = False

    @property
    def pids(self) -> dict[str, int]:
        return {
            child.spec.name: child.process.pid
            for child in self._children
            if child.process is not None and child.process.returncode is None
        }

    def restarts(self, name: str) -> int:
        """How many times the part was restarted after a crash."""
        for child in self._children:
            if child.spec.name == name:
                return child.restarts
        raise KeyError(name)

    async def start(self) -> None:
        """Start every step in order, each once the previous one is healthy (a run of steps
        marked ``with_previous`` starts together).

        Raises :class:`StartupFailed`; the parts already started keep running until
        :meth:`stop` (which is also safe to call after a cancelled start).
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        starting: list[_Child] = []
        for step in self.steps:
            if not (isinstance(step, ProcessSpec) and step.with_previous and starting):
                await self._all_ready(starting)
                starting = []
            if isinstance(step, TaskSpec):
                await self._run_task(step)
                continue
            child = _Child(step, self.log_dir / f"{step.name}.log")
            self._children.append(child)
            await self._launch(child)
            starting.append(child)
        await self._all_ready(starting)

    async def _all_ready(self, children: Sequence[_Child]) -> None:
        """Wait until every child just launched is ready, then supervise each; the first
        failure (in start order) is raised once the others have finished waiting."""
        outcomes = await asyncio.gather(
            *(self._wait_ready(child) for child in children), return_exceptions=True
        )
        for child, outcome in zip(children, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                raise outcome
            self.report(f"{child.spec.name} is ready (pid {self._pid(child)})")
            child.monitor = asyncio.create_task(
                self._supervise(child), name=f"watch-{child.spec.name}"
            )

    async def stop(self) -> None:
        """Stop every part in reverse start order: SIGTERM, wait, SIGKILL after the timeout."""
        self._stopping = True
        monitors = [child.monitor for child in self._children if child.monitor is not None]
        for monitor in monitors:
            monitor.cancel()
        await asyncio.gather(*monitors, return_exceptions=True)
        for child in reversed(self._children):
            await self._terminate(child, announce=True)

    async def _run_task(self, task: TaskSpec) -> None:
        log_file = self.log_dir / f"{task.name}.log"
        self.report(f"running {task.name}")
        process = await self._spawn(task.name, task.command, task.env, log_file)
        try:
            code = await asyncio.wait_for(process.wait(), task.timeout)
        except TimeoutError:
            await self._kill_group(process)
            raise StartupFailed(
                task.name, f"did not finish within {task.timeout:.0f}s", log_tail(log_file)
            ) from None
        except asyncio.CancelledError:
            await self._kill_group(process)
            raise
        if code != 0:
            raise StartupFailed(task.name, f"exited with code {code}", log_tail(log_file))
        self.report(f"{task.name} done")

    async def _launch(self, child: _Child) -> None:
        spec = child.spec
        child.process = await self._spawn(spec.name, spec.command, spec.env, child.log_file)
        child.started_at = asyncio.get_running_loop().time()

    async def _spawn(
        self, name: str, command: Sequence[str], env: Mapping[str, str] | None, log_file: Path
    ) -> asyncio.subprocess.Process:
        with log_file.open("ab") as log:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            log.write(f"===== {stamp} starting {name} =====\n".encode())
            log.flush()
            # A session of its own: Ctrl-C in the terminal reaches the launcher only, which
            # then stops the parts in order; and the whole group can be signalled at stop.
            return await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=None if env is None else dict(env),
                cwd=self.cwd,
                start_new_session=True,
            )

    async def _wait_ready(self, child: _Child) -> None:
        spec, process = child.spec, child.process
        assert process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + spec.start_timeout
        last_error: BaseException | None = None
        while True:
            if process.returncode is not None:
                raise StartupFailed(
                    spec.name,
                    f"exited with code {process.returncode} before becoming ready",
                    log_tail(child.log_file),
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                reason = f"not ready after {spec.start_timeout:.0f}s"
                if last_error is not None:
                    reason += f" (last check: {type(last_error).__name__}: {last_error})"
                raise StartupFailed(spec.name, reason, log_tail(child.log_file))
            try:
                await asyncio.wait_for(spec.ready(), timeout=min(remaining, 5.0))
            except Exception as error:  # noqa: BLE001 - any failure means "not yet"
                last_error = error
                await asyncio.sleep(0.1)
            else:
                return

    async def _supervise(self, child: _Child) -> None:
        """Wait for the child to exit; report it and restart it with backoff, until stop."""
        attempt = 0
        loop = asyncio.get_running_loop()
        while True:
            assert child.process is not None
            code = await child.process.wait()
            if self._stopping:
                return
            if loop.time() - child.started_at >= self.backoff.stable_after:
                attempt = 0
            attempt += 1
            delay = self.backoff.delay(attempt)
            tail = "\n".join(f"    | {line}" for line in log_tail(child.log_file))
            self.report(
                f"{child.spec.name} (pid {child.process.pid}) exited with code {code}; "
                f"restarting in {delay:.1f}s. Last lines of {child.log_file}:\n{tail}"
            )
            await asyncio.sleep(delay)
            await self._while_held(child.spec.name)
            child.restarts += 1
            try:
                await self._launch(child)
                await self._wait_ready(child)
            except Exception as error:  # noqa: BLE001 - keep supervising whatever went wrong
                self.report(f"{child.spec.name} restart failed: {error}")
                await self._terminate(child, announce=False)
                continue
            self.report(f"{child.spec.name} restarted (pid {self._pid(child)})")
            if self.on_restart is not None:
                self.on_restart(child.spec.name)

    async def _while_held(self, name: str) -> None:
        """Keep a crashed part down while ``held`` says so: a drill's outage then lasts as
        long as the drill needs to observe it, not just the restart's backoff."""
        if self.held is None or not self.held(name):
            return
        self.report(f"{name} is held down: not restarted until released")
        while self.held(name):  # noqa: ASYNC110 - a file the drill removes: nothing to await
            await asyncio.sleep(HOLD_POLL_SECONDS)
        self.report(f"{name} released: restarting")

    async def _terminate(self, child: _Child, *, announce: bool) -> None:
        process = child.process
        if process is None or process.returncode is not None:
            return
        if announce:
            self.report(f"stopping {child.spec.name} (pid {process.pid})")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self.stop_timeout)
        except TimeoutError:
            self.report(f"{child.spec.name} ignored SIGTERM for {self.stop_timeout:.0f}s: killed")
            await self._kill_group(process)

    @staticmethod
    async def _kill_group(process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()

    @staticmethod
    def _pid(child: _Child) -> int:
        assert child.process is not None
        return child.process.pid
