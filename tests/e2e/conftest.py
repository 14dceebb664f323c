"""One whole local stack for every end-to-end module (starting it takes about 20 s)."""

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.local_stack import RunningStack, local_stack


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    # Tansu keeps records in memory: a broker crash can drop what was just published, and the
    # reconciler republishes it. A short period keeps the crash test quick.
    fast_reconciler = {"RECONCILE_INTERVAL_SECONDS": "2", "RECONCILE_GRACE_SECONDS": "3"}
    async with local_stack(tmp_path_factory.mktemp("e2e"), fast_reconciler) as running:
        yield running


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client
