"""``python -m deploy.local`` (``make run``): the whole platform on this machine.

Exit codes: 0 after a clean stop (Ctrl-C / SIGTERM), 1 when a part failed to start,
2 when a port the stack needs is taken or the configuration is invalid (nothing started).
"""

import asyncio
import os
import sys

from pydantic import ValidationError

from deploy.local.launcher import CONFIGURATION_ERROR_EXIT_CODE, run
from deploy.local.settings import LocalStackSettings


def main() -> int:
    try:
        settings = LocalStackSettings()
        settings.database_url  # noqa: B018 - validates DATABASE_URL before anything starts
    except (ValidationError, ValueError) as error:
        print(f"Invalid configuration: {error}", file=sys.stderr)
        return CONFIGURATION_ERROR_EXIT_CODE
    return asyncio.run(run(settings, os.environ))


if __name__ == "__main__":
    sys.exit(main())
