"""``python -m services.intake.purge``: delete, now, the applications whose e-mail address was
not confirmed in time (a running intake also does it every
``APPLICATION_CONFIRMATION_PURGE_INTERVAL_SECONDS``). Prints how many; reads only
``DATABASE_URL`` and ``APPLICATION_CONFIRMATION_DELAY_HOURS``."""

import asyncio
import sys

from libs.database import create_engine, session_factory
from services.intake import models  # noqa: F401 - registers the tables on SQLModel.metadata
from services.intake.service_layer import purge_unconfirmed
from services.intake.settings import ConfirmationSettings


async def purge(settings: ConfirmationSettings) -> int:
    engine = create_engine(settings.DATABASE_URL)
    try:
        return await purge_unconfirmed(
            session_factory(engine), confirmation_delay=settings.confirmation_delay
        )
    finally:
        await engine.dispose()


def main() -> int:
    purged = asyncio.run(purge(ConfirmationSettings()))
    sys.stdout.write(
        f"{purged} candidature(s) non confirmée(s) supprimée(s) / "
        "unconfirmed application(s) purged\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
