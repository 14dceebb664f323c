"""One whole local stack for every end-to-end module (starting it takes about 20 s)."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.local_stack import RunningStack, is_running, local_stack

E2E_DIR = Path(__file__).parent


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    # Tansu keeps records in memory: a broker crash can drop what was just published, and the
    # reconciler republishes it. A short period keeps the crash test quick.
    fast_reconciler = {"RECONCILE_INTERVAL_SECONDS": "2", "RECONCILE_GRACE_SECONDS": "3"}
    async with local_stack(tmp_path_factory.mktemp("e2e"), fast_reconciler) as running:
        yield running
        final = running.current_state()
    # Stopped as `make run` is by Ctrl-C (SIGTERM): the launcher exits 0, leaving no child
    # behind, and removes stack.json; every part wrote its log.
    assert running.launcher.returncode == 0, running.output.read_text()[-2000:]
    assert not [name for name, pid in final["pids"].items() if is_running(pid)]
    assert not running.stack_file.exists()
    logs = {path.name for path in Path(final["logs_dir"]).iterdir()}
    assert {f"{name}.log" for name in final["pids"]} <= logs


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist every end-to-end test runs on one worker (``--dist loadgroup``), so
    the session's one stack is started once, while the other worker takes the rest."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.xdist_group("e2e-stack"))
