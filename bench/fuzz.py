"""``python -m bench.fuzz``: the long OpenAPI fuzz run (``make fuzz``), against a whole stack.

Starts ``python -m deploy.local`` on free ports (its own DATA_DIR), then runs schemathesis on
each service's ``/openapi.json`` (every check, every phase, an admin token; see
``tests/openapi_fuzz.py``) with many more examples than the suite's run. Prints one line per
service and a JSON line, writes JUnit reports under ``--report-dir``, and exits 1 when
schemathesis found anything.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from tests.local_stack import local_stack
from tests.openapi_fuzz import SERVICES, FuzzRun, fuzz


async def run(
    services: list[str], max_examples: int, seed: int, report_dir: Path
) -> list[tuple[FuzzRun, float]]:
    with tempfile.TemporaryDirectory(prefix="eig-fuzz-") as workdir:
        async with local_stack(Path(workdir)) as stack:
            tokens = json.loads((stack.stack_file.parent / "dev-tokens.json").read_text())
            results: list[tuple[FuzzRun, float]] = []
            for service in services:
                started = time.monotonic()
                result = await fuzz(
                    service,
                    stack.urls[service],
                    tokens["admin"],
                    max_examples=max_examples,
                    seed=seed,
                    report_dir=report_dir / service,
                )
                results.append((result, time.monotonic() - started))
                if not result.passed:
                    print(result.output, file=sys.stderr)
            return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100, help="per operation")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--service", action="append", choices=SERVICES, dest="services")
    parser.add_argument("--report-dir", type=Path, default=Path("test-artifacts/fuzz"))
    arguments = parser.parse_args()
    services = arguments.services or list(SERVICES)
    results = asyncio.run(
        run(services, arguments.max_examples, arguments.seed, arguments.report_dir)
    )
    for result, seconds in results:
        verdict = "ok" if result.passed else "FAILED"
        print(f"{result.service:>14}: {verdict:<6} {seconds:6.0f} s  {result.summary}")
    summary = {
        "seed": arguments.seed,
        "max_examples": arguments.max_examples,
        "services": {result.service: result.summary for result, _ in results},
        "failed": [result.service for result, _ in results if not result.passed],
    }
    print(json.dumps(summary))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
