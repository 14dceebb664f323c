"""``python -m deploy.retention``: apply the retention policy to every service's tables once.

    python -m deploy.retention [--json]

Each service purges its own tables through its service layer (``purge_expired``) and also
does so by itself every ``RETENTION_PURGE_INTERVAL_SECONDS``; this command runs them all at
once, for a cron job or a deployment whose services run the purge nowhere (interval 0). The
policy is read from the ``RETENTION_*`` settings (docs/DATA-PROTECTION.md). It prints the rows
purged per table (counts only) and exits 0, or 1 if a purge failed.
"""

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import RetentionSettings
from libs.database import create_engine, session_factory
from libs.outbox.models import OutboxOrigin
from libs.outbox.repository import purge_sent
from libs.personal_data import PurgeReport, RetentionPolicy, ServicePurge, run_purge
from services.contracts import service_layer as contracts
from services.intake import service_layer as intake
from services.notifications import service_layer as notifications
from services.selection import service_layer as selection

PURGES: tuple[tuple[str, ServicePurge], ...] = (
    ("intake", intake.purge_expired),
    ("selection", selection.purge_expired),
    ("contracts", contracts.purge_expired),
    ("notifications", notifications.purge_expired),
    ("workflows", partial(purge_sent, origin=OutboxOrigin.WORKFLOWS)),
)
"""Every part's purge, each on its own tables (intake and workflows each on their outbox
rows)."""


async def purge_all(
    sessions: async_sessionmaker[AsyncSession], policy: RetentionPolicy, now: datetime
) -> dict[str, PurgeReport]:
    """Run every part's purge; one that fails does not stop the others (it raises after)."""
    reports: dict[str, PurgeReport] = {}
    failed: list[str] = []
    for name, purge in PURGES:
        try:
            reports[name] = await run_purge(name, purge, sessions, policy, now)
        except Exception as error:  # noqa: BLE001 - the other parts still purge
            logging.getLogger(__name__).error(
                "retention purge of %s failed: %s", name, type(error).__name__
            )
            failed.append(name)
    if failed:
        raise PurgeFailed(failed)
    return reports


class PurgeFailed(Exception):
    def __init__(self, parts: list[str]) -> None:
        super().__init__(", ".join(parts))
        self.parts = parts


async def run(settings: RetentionSettings, now: datetime) -> dict[str, PurgeReport]:
    engine = create_engine(settings.DATABASE_URL)
    try:
        return await purge_all(session_factory(engine), settings.retention_policy, now)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(
        prog="python -m deploy.retention",
        description="Apply the retention policy (docs/DATA-PROTECTION.md) to every table once.",
    )
    arguments.add_argument("--json", action="store_true", help="print the counts as JSON")
    options = arguments.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = RetentionSettings()
    try:
        reports = asyncio.run(run(settings, datetime.now(UTC)))
    except PurgeFailed as failure:
        print(f"retention purge failed for: {failure}", file=sys.stderr)
        return 1
    counts = {name: report.as_dict() for name, report in reports.items()}
    if options.json:
        print(json.dumps(counts, indent=2, sort_keys=True))
    else:
        for name, purged in counts.items():
            detail = ", ".join(f"{key} {count}" for key, count in purged.items()) or "nothing"
            print(f"{name}: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
