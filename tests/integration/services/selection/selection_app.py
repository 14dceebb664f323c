"""The selection service's app in this process, with its own data dir and dev tokens."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from libs.auth import write_dev_tokens
from libs.config import Environment
from services.selection.app import create_app
from services.selection.bootstrap import Selection, bootstrap
from services.selection.settings import SelectionSettings


@asynccontextmanager
async def running_selection(
    tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Selection, httpx.AsyncClient, dict[str, str]]]:
    """Selection started (tables created), an HTTP client on it, and a token per role."""
    selection = bootstrap(
        SelectionSettings(
            _env_file=None,
            ENVIRONMENT=Environment.TEST,
            DATA_DIR=tmp_path,
            SELECTION_CREATE_TABLES=True,
            **settings,
        )
    )
    tokens = write_dev_tokens(selection.settings.dev_tokens_file)
    app = create_app(selection=selection)
    await selection.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://selection", timeout=30
        ) as client:
            yield selection, client, tokens
    finally:
        await selection.stop()
