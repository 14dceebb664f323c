"""The Alembic history builds exactly the tables the code declares, on SQLite and PostgreSQL."""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import libs.operations.models  # noqa: F401 - every table on SQLModel.metadata
import libs.outbox.models  # noqa: F401 - the outbox table too
import services.contracts.models
import services.intake.models
import services.notifications.models
import services.selection.models  # noqa: F401 - every table on SQLModel.metadata
from libs.database import create_engine

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


async def alembic(database_url: str, *args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alembic",
        *args,
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


async def schema_differences(database_url: str) -> list[object]:
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    await engine.dispose()
    return list(differences)


async def table_names(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


class TestMigrations:
    async def test_upgrade_head_matches_the_declared_tables(self, database_url: str) -> None:
        await alembic(database_url, "upgrade", "head")
        assert await schema_differences(database_url) == []
        assert await table_names(database_url) == set(SQLModel.metadata.tables)

    async def test_downgrade_to_base_removes_every_table(self, database_url: str) -> None:
        await alembic(database_url, "upgrade", "head")
        await alembic(database_url, "downgrade", "base")
        assert await table_names(database_url) == set()
