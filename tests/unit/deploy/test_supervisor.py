"""The supervisor starts parts in order once healthy, restarts crashed ones, stops in reverse."""

import asyncio
import dataclasses
import os
import sys
from pathlib import Path

import pytest

from deploy.local.supervisor import Backoff, ProcessSpec, StartupFailed, Supervisor, TaskSpec
from tests.eventually import eventually
from tests.local_stack import is_running

# A child that marks itself ready, then runs until SIGTERM, recording that it stopped.
SERVING = """
import pathlib, signal, sys, time
name, workdir = sys.argv[1], pathlib.Path(sys.argv[2])
def stop(*_):
    with (workdir / "stopped").open("a") as log:
        log.write(name + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
with (workdir / "started").open("a") as log:
    earlier = sorted(p.name for p in workdir.glob("*.ready"))
    log.write(f"{name} after {earlier}\\n")
(workdir / f"{name}.ready").touch()
while True:
    time.sleep(1)
"""

# A child whose first run crashes (exit code 3) when the test says so; later runs keep serving.
CRASHING_ONCE = """
import os, pathlib, sys, time
workdir = pathlib.Path(sys.argv[1])
runs = workdir / "runs"
earlier_runs = len(runs.read_text().split()) if runs.exists() else 0
with runs.open("a") as log:
    log.write(f"{os.getpid()}\\n")
(workdir / "crashy.ready").touch()
while earlier_runs > 0 or not (workdir / "crash-now").exists():
    time.sleep(0.02)
(workdir / "crashy.ready").unlink()
print("fatal: the disk is on fire", flush=True)
sys.exit(3)
"""

IGNORING_SIGTERM = """
import pathlib, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(sys.argv[1]).touch()
while True:
    time.sleep(1)
"""

PROCESS_START_TIMEOUT = 120.0
"""Starting a Python child takes seconds on two loaded cores: the waits return as soon as the
condition holds, so a generous bound costs nothing and keeps the suite from failing at random."""


def file_exists(path: Path):
    async def probe() -> None:
        if not path.exists():  # noqa: ASYNC240 - a stat is instant
            raise FileNotFoundError(path)

    return probe


def serving(name: str, workdir: Path) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        command=[sys.executable, "-c", SERVING, name, str(workdir)],
        ready=file_exists(workdir / f"{name}.ready"),
        start_timeout=10,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


class TestStartAndStop:
    async def test_parts_marked_with_previous_start_together(self, workdir, tmp_path):
        # "first" only becomes ready once "second" is: started one after the other, the
        # start would time out; started together, both are up.
        first = dataclasses.replace(
            serving("first", workdir), ready=file_exists(workdir / "second.ready")
        )
        second = dataclasses.replace(serving("second", workdir), with_previous=True)
        third = serving("third", workdir)
        supervisor = Supervisor([first, second, third], log_dir=tmp_path / "logs")
        try:
            await supervisor.start()
        finally:
            await supervisor.stop()

        lines = (workdir / "started").read_text().splitlines()
        assert sorted(line.split()[0] for line in lines[:2]) == ["first", "second"]
        assert lines[2] == "third after ['first.ready', 'second.ready']"

    async def test_each_part_starts_only_once_the_previous_one_is_ready(self, workdir, tmp_path):
        supervisor = Supervisor(
            [serving(name, workdir) for name in ("first", "second", "third")],
            log_dir=tmp_path / "logs",
        )
        try:
            await supervisor.start()
        finally:
            await supervisor.stop()

        assert (workdir / "started").read_text().splitlines() == [
            "first after []",
            "second after ['first.ready']",
            "third after ['first.ready', 'second.ready']",
        ]

    async def test_stop_terminates_the_parts_in_reverse_start_order(self, workdir, tmp_path):
        supervisor = Supervisor(
            [serving(name, workdir) for name in ("broker", "database", "api")],
            log_dir=tmp_path / "logs",
        )
        await supervisor.start()
        pids = supervisor.pids

        await supervisor.stop()

        assert (workdir / "stopped").read_text().splitlines() == ["api", "database", "broker"]
        assert not any(is_running(pid) for pid in pids.values())
        assert supervisor.pids == {}

    async def test_a_part_that_ignores_sigterm_is_killed_after_the_stop_timeout(
        self, workdir, tmp_path
    ):
        ready = workdir / "stubborn.ready"
        supervisor = Supervisor(
            [
                ProcessSpec(
                    name="stubborn",
                    command=[sys.executable, "-c", IGNORING_SIGTERM, str(ready)],
                    ready=file_exists(ready),
                )
            ],
            log_dir=tmp_path / "logs",
            stop_timeout=0.5,
        )
        messages: list[str] = []
        supervisor.report = messages.append
        await supervisor.start()
        pid = supervisor.pids["stubborn"]

        await supervisor.stop()

        assert not is_running(pid)
        assert any("stubborn ignored SIGTERM" in message for message in messages)

    async def test_each_part_writes_its_output_to_its_own_log_file(self, workdir, tmp_path):
        supervisor = Supervisor(
            [
                ProcessSpec(
                    name="talker",
                    command=[
                        sys.executable,
                        "-c",
                        "import pathlib, sys, time; print('hello from talker', flush=True);"
                        " pathlib.Path(sys.argv[1]).touch(); time.sleep(60)",
                        str(workdir / "talker.ready"),
                    ],
                    ready=file_exists(workdir / "talker.ready"),
                )
            ],
            log_dir=tmp_path / "logs",
        )
        try:
            await supervisor.start()
        finally:
            await supervisor.stop()

        assert "hello from talker" in (tmp_path / "logs" / "talker.log").read_text()


class TestStartupFailure:
    async def test_a_part_that_exits_before_being_ready_fails_the_start_with_its_log(
        self, tmp_path
    ):
        supervisor = Supervisor(
            [
                ProcessSpec(
                    name="broken",
                    command=[sys.executable, "-c", "print('missing setting FOO'); exit(4)"],
                    ready=file_exists(tmp_path / "never"),
                )
            ],
            log_dir=tmp_path / "logs",
        )
        with pytest.raises(StartupFailed) as failure:
            await supervisor.start()
        await supervisor.stop()

        assert failure.value.name == "broken"
        assert "code 4" in failure.value.reason
        assert "missing setting FOO" in failure.value.log_tail

    async def test_a_failing_one_off_task_stops_the_start_before_later_parts(
        self, workdir, tmp_path
    ):
        supervisor = Supervisor(
            [
                serving("broker", workdir),
                TaskSpec(
                    name="migrations",
                    command=[sys.executable, "-c", "print('no such table'); exit(1)"],
                ),
                serving("api", workdir),
            ],
            log_dir=tmp_path / "logs",
        )
        with pytest.raises(StartupFailed, match="migrations: exited with code 1"):
            await supervisor.start()
        await supervisor.stop()

        assert (workdir / "started").read_text().splitlines() == ["broker after []"]
        assert (workdir / "stopped").read_text().splitlines() == ["broker"]

    async def test_a_part_never_ready_fails_the_start_after_its_timeout(self, tmp_path):
        supervisor = Supervisor(
            [
                ProcessSpec(
                    name="slow",
                    command=[sys.executable, "-c", "import time; time.sleep(60)"],
                    ready=file_exists(tmp_path / "never"),
                    start_timeout=0.5,
                )
            ],
            log_dir=tmp_path / "logs",
        )
        with pytest.raises(StartupFailed, match="slow: not ready after"):
            await supervisor.start()
        pid = supervisor.pids["slow"]
        await supervisor.stop()

        assert not is_running(pid)

    async def test_a_start_cancelled_midway_leaves_nothing_running_after_stop(
        self, workdir, tmp_path
    ):
        supervisor = Supervisor(
            [
                serving("broker", workdir),
                ProcessSpec(
                    name="waiting",
                    command=[sys.executable, "-c", "import time; time.sleep(60)"],
                    ready=file_exists(tmp_path / "never"),
                ),
            ],
            log_dir=tmp_path / "logs",
        )
        starting = asyncio.create_task(supervisor.start())

        async def both_launched() -> bool:
            return set(supervisor.pids) == {"broker", "waiting"}

        await eventually(both_launched, timeout=PROCESS_START_TIMEOUT)
        pids = supervisor.pids
        starting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await starting
        await supervisor.stop()

        assert not any(is_running(pid) for pid in pids.values())


class TestRestart:
    async def test_a_crashed_part_is_reported_and_restarted(self, workdir, tmp_path):
        messages: list[str] = []
        restarted: list[str] = []
        supervisor = Supervisor(
            [
                ProcessSpec(
                    name="crashy",
                    command=[sys.executable, "-c", CRASHING_ONCE, str(workdir)],
                    ready=file_exists(workdir / "crashy.ready"),
                )
            ],
            log_dir=tmp_path / "logs",
            backoff=Backoff(initial=0.01),
            report=messages.append,
            on_restart=restarted.append,
        )
        await supervisor.start()
        first_pid = supervisor.pids["crashy"]
        try:
            (workdir / "crash-now").touch()

            async def restarted_and_ready() -> bool:
                return restarted == ["crashy"]

            await eventually(restarted_and_ready, timeout=PROCESS_START_TIMEOUT)
            second_pid = supervisor.pids["crashy"]
        finally:
            await supervisor.stop()

        assert second_pid != first_pid
        assert (workdir / "runs").read_text().split() == [str(first_pid), str(second_pid)]
        assert supervisor.restarts("crashy") == 1
        crash_report = next(message for message in messages if "exited with code 3" in message)
        assert "crashy" in crash_report
        assert "fatal: the disk is on fire" in crash_report

    async def test_a_part_killed_from_outside_is_restarted_too(self, workdir, tmp_path):
        supervisor = Supervisor(
            [serving("worker", workdir)],
            log_dir=tmp_path / "logs",
            backoff=Backoff(initial=0.01),
        )
        await supervisor.start()
        first_pid = supervisor.pids["worker"]
        try:
            os.kill(first_pid, 9)

            async def running_again() -> int:
                # The new pid alone is not enough: the new child must also have run (its line
                # in "started"), or stopping it at once races its start on a busy machine.
                pid = supervisor.pids.get("worker", first_pid)
                runs = (workdir / "started").read_text().count("worker after")
                return pid if pid != first_pid and runs == 2 else 0

            second_pid = await eventually(running_again, timeout=PROCESS_START_TIMEOUT)
        finally:
            await supervisor.stop()

        assert not is_running(first_pid)
        assert not is_running(second_pid)
        assert (workdir / "started").read_text().count("worker after") == 2

    async def test_a_held_part_stays_down_until_released(self, workdir, tmp_path):
        """A drill holds a part: killed, it is not restarted until the hold is lifted."""
        hold = tmp_path / "hold-worker"
        messages: list[str] = []
        supervisor = Supervisor(
            [serving("worker", workdir)],
            log_dir=tmp_path / "logs",
            backoff=Backoff(initial=0.01),
            report=messages.append,
            held=lambda name: name == "worker" and hold.exists(),
        )
        await supervisor.start()
        first_pid = supervisor.pids["worker"]
        try:
            hold.touch()
            os.kill(first_pid, 9)

            async def held_down() -> bool:
                return any("worker is held down" in message for message in messages)

            await eventually(held_down, timeout=PROCESS_START_TIMEOUT)
            assert "worker" not in supervisor.pids
            assert supervisor.restarts("worker") == 0

            hold.unlink()

            async def running_again() -> int:
                pid = supervisor.pids.get("worker", first_pid)
                runs = (workdir / "started").read_text().count("worker after")
                return pid if pid != first_pid and runs == 2 else 0

            await eventually(running_again, timeout=PROCESS_START_TIMEOUT)
        finally:
            await supervisor.stop()

        assert supervisor.restarts("worker") == 1
        assert any("worker released" in message for message in messages)


class TestBackoff:
    def test_the_delay_doubles_up_to_the_maximum(self):
        backoff = Backoff(initial=1.0, maximum=5.0)

        assert [backoff.delay(attempt) for attempt in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
