"""Intake against a real SQLite file, with the broker, relay and reconciler switched off."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import SQLModel

from libs.config import Environment
from services.intake.bootstrap import Intake, bootstrap
from services.intake.settings import IntakeSettings
from tests.unit.services.intake.forms import served


def offline_settings(database_url: str, **overrides: Any) -> IntakeSettings:
    values: dict[str, Any] = {
        "ENVIRONMENT": Environment.TEST,
        "DATABASE_URL": database_url,
        "PUBLIC_INTAKE_URL": "https://candidatures.eig.example",
        "OUTBOX_RELAY_ENABLED": False,
        "STATUS_VIEW_ENABLED": False,
        "PUBLIC_RESULTS_ENABLED": False,
        "RECONCILER_ENABLED": False,
        # Tests send many applications for one address: the limits have tests of their own.
        "RATE_LIMIT_ENABLED": False,
        **overrides,
    }
    return IntakeSettings(_env_file=None, **values)


LINK_KEYS = offline_settings("sqlite://").link_keys
"""The keys of :func:`offline_settings`' intake: tests build the links the e-mails carry."""


@pytest.fixture
async def intake(sqlite_url: str) -> AsyncIterator[Intake]:
    intake = bootstrap(offline_settings(sqlite_url))
    async with intake.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield intake
    await intake.engine.dispose()


@pytest.fixture
async def client(intake: Intake) -> AsyncIterator[httpx.AsyncClient]:
    async with served(intake) as client:
        yield client
