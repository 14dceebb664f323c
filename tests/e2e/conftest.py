"""One whole local stack for every end-to-end module (starting it takes about 20 s), its
console signing staff in through the test OIDC provider (tests/oidc_provider.py), whose
tokens the staff APIs accept (``AUTH_MODE=oidc`` on the whole stack, as in production)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import httpx
import pytest

from deploy.local.engines import free_port
from tests.local_stack import RunningStack, is_running, local_stack
from tests.oidc_provider import OidcProvider, oidc_provider

E2E_DIR = Path(__file__).parent

STAFF_MEMBERS: Final = {
    # sub: (given name, usual name, roles); one per role, as the APIs' callers sign in
    "staff": ("Camille", "Martin", ["staff"]),
    "evaluator": ("Alex", "Évaluation", ["evaluator"]),
    "jury": ("Jeanne", "Jury", ["jury"]),
    "admin": ("Dominique", "Admin", ["admin"]),
    # the people on call of tests/e2e/test_operations_status.py
    "exploitation": ("Dominique", "Exploitation", ["admin"]),
    "astreinte": ("Camille", "Astreinte", ["admin"]),
}
ROLES: Final = ("staff", "evaluator", "jury", "admin")

StaffHeaders = dict[str, dict[str, str]]


@pytest.fixture(scope="session")
async def provider() -> AsyncIterator[OidcProvider]:
    async with oidc_provider() as running:
        for sub, (given_name, usual_name, roles) in STAFF_MEMBERS.items():
            await running.add_user(
                sub,
                email=f"{sub}@numerique.gouv.fr",
                given_name=given_name,
                usual_name=usual_name,
                roles=roles,
            )
        yield running


@pytest.fixture(scope="session")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, provider: OidcProvider
) -> AsyncIterator[RunningStack]:
    # Tansu keeps records in memory: a broker crash can drop what was just published, and the
    # reconciler republishes it. A short period keeps the crash test quick.
    fast_reconciler = {"RECONCILE_INTERVAL_SECONDS": "2", "RECONCILE_GRACE_SECONDS": "3"}
    console_port = free_port()
    signing_in = provider.environment(f"http://127.0.0.1:{console_port}") | {
        "CONSOLE_PORT": str(console_port)
    }
    async with local_stack(tmp_path_factory.mktemp("e2e"), fast_reconciler | signing_in) as running:
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
async def staff_headers(provider: OidcProvider) -> StaffHeaders:
    """Role → the ``Authorization`` header of that role's staff member (a provider token)."""
    return {
        role: {"Authorization": f"Bearer {await provider.access_token(role)}"} for role in ROLES
    }


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
