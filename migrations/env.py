"""Alembic environment: async engines for SQLite and PostgreSQL, metadata of every service."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import libs.operations.models  # noqa: F401 - registers the tables on SQLModel.metadata
import services.contracts.models
import services.intake.models
import services.notifications.models
import services.selection.models  # noqa: F401 - registers the tables on SQLModel.metadata
from libs.config import DatabaseSettings
from libs.database import create_engine, is_sqlite

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)

target_metadata = SQLModel.metadata


def database_url() -> str:
    return str(config.attributes.get("database_url") or DatabaseSettings().DATABASE_URL)


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place: batch mode rebuilds tables instead.
        render_as_batch=is_sqlite(database_url()),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_engine(database_url())
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
