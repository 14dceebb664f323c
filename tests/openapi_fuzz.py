"""Schemathesis against a running service's ``/openapi.json``, as the suite and ``make fuzz``
run it: every check, every phase (stateful included), a staff bearer token, a fixed seed.

The run passes when the service answers no 5xx and every answer conforms to the document
(status codes, content types, headers, bodies); ``schemathesis.toml`` at the repository's root
lists the rare rules a JSON schema cannot express.
"""

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from deploy.local.launcher import REPO_ROOT

SERVICES = ("intake", "selection", "contracts", "notifications", "console", "workflows")
"""Every process with an OpenAPI document. The console's pages are HTML forms (CSRF token,
session cookie) left out of its document, and the workflows' worker serves only its health:
their documents hold only ``/healthz``, ``/readyz`` and ``/metrics``, fuzzed all the same."""
PHASES = ("examples", "coverage", "fuzzing", "stateful")
QUICK_PHASES = ("examples", "fuzzing", "stateful")
"""The suite's run: the coverage phase (every boundary of every parameter, whatever
``max_examples``) takes minutes, so it is left to ``make fuzz``."""
CONFIG_FILE = REPO_ROOT / "schemathesis.toml"
HOOKS = "tests.openapi_fuzz_hooks"
SUMMARY = re.compile(r"^Test cases:\s*\n\s*(?P<line>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class FuzzRun:
    service: str
    returncode: int
    output: str

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    @property
    def summary(self) -> str:
        """Schemathesis's own count (``576 generated, 576 passed``), or the end of its output."""
        found = SUMMARY.search(self.output)
        return found.group("line").strip() if found else self.output.strip()[-300:]


def schemathesis_command(
    base_url: str,
    token: str,
    *,
    max_examples: int,
    seed: int,
    phases: tuple[str, ...],
    report_dir: Path | None,
) -> list[str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG_FILE),
        "--no-color",
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        ",".join(phases),
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Bearer {token}",
    ]
    if report_dir is not None:
        command += ["--report", "junit", "--report-dir", str(report_dir)]
    return command


async def fuzz(
    service: str,
    base_url: str,
    token: str,
    *,
    max_examples: int,
    seed: int,
    phases: tuple[str, ...] = PHASES,
    report_dir: Path | None = None,
) -> FuzzRun:
    """Run schemathesis on one service and collect what it printed."""
    process = await asyncio.create_subprocess_exec(
        *schemathesis_command(
            base_url,
            token,
            max_examples=max_examples,
            seed=seed,
            phases=phases,
            report_dir=report_dir,
        ),
        cwd=REPO_ROOT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": HOOKS},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return FuzzRun(service, process.returncode, output.decode(errors="replace"))
