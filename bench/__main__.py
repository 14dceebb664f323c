"""``python -m bench``: the applicant journey under load, against a whole local stack.

Starts ``python -m deploy.local`` on free ports (its own DATA_DIR), submits applications at a
fixed concurrency, and measures: HTTP acceptance latency and throughput, the delay from
submission to the acknowledgement e-mail in the Maildir, and each process's resident memory.
Prints a table and a JSON line, and exits 1 when a target is missed.
"""

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from tests.local_stack import local_stack

CANDIDATES = "/api/v1/applications/candidates"


@dataclass(frozen=True)
class Targets:
    """What a serious public service owes its applicants on one 2-core machine."""

    acceptance_p95_ms: float = 250.0
    acknowledgement_p95_s: float = 10.0
    max_service_rss_mib: float = 300.0


def candidate(address: str) -> dict[str, object]:
    return {
        "first_name": "Camille",
        "last_name": "Bench",
        "email": address,
        "role": "product_director",
        "years_of_experience": 8,
        "entrepreneurial_experience": "Fondatrice d'une entreprise de logiciels publics.",
        "preferred_language": "fr",
        "consent": True,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def recipients(maildir: Path) -> dict[str, float]:
    """Recipient address → time the message file appeared (its mtime)."""
    found = {}
    for path in (maildir / "new").glob("*"):
        for line in path.read_text(errors="replace").splitlines():
            if line.lower().startswith("to:"):
                found[line.split("<")[-1].rstrip(">").strip()] = path.stat().st_mtime
                break
    return found


async def run(count: int, concurrency: int, targets: Targets) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="eig-bench-") as workdir:
        async with local_stack(Path(workdir)) as stack:
            intake = stack.urls["intake"]
            maildir = Path(stack.state["maildir"])
            run_id = uuid.uuid4().hex[:6]
            addresses = [f"bench.{run_id}.{n}@example.fr" for n in range(count)]
            submitted_at: dict[str, float] = {}
            latencies: list[float] = []
            semaphore = asyncio.Semaphore(concurrency)

            async with httpx.AsyncClient(timeout=30) as client:

                async def submit(address: str) -> None:
                    async with semaphore:
                        started = time.perf_counter()
                        submitted_at[address] = time.time()
                        response = await client.post(intake + CANDIDATES, json=candidate(address))
                        latencies.append((time.perf_counter() - started) * 1000)
                        response.raise_for_status()

                wall = time.perf_counter()
                await asyncio.gather(*(submit(address) for address in addresses))
                wall = time.perf_counter() - wall

            deadline = time.time() + 120
            delivered: dict[str, float] = {}
            while time.time() < deadline:
                delivered = recipients(maildir)
                if all(address in delivered for address in addresses):
                    break
                await asyncio.sleep(0.2)
            delays = [delivered[a] - submitted_at[a] for a in addresses if a in delivered]
            memory = {
                name: round(rss_mib(pid), 1) for name, pid in stack.current_state()["pids"].items()
            }

    service_memory = {
        name: value
        for name, value in memory.items()
        if name in ("intake", "selection", "contracts", "notifications", "workflows")
    }
    result: dict[str, object] = {
        "applications": count,
        "concurrency": concurrency,
        "accepted_per_second": round(count / wall, 1),
        "acceptance_ms": {
            "p50": round(percentile(latencies, 0.5), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "max": round(max(latencies), 1),
        },
        "acknowledged": len(delays),
        "acknowledgement_s": {
            "p50": round(statistics.median(delays), 2) if delays else None,
            "p95": round(percentile(delays, 0.95), 2) if delays else None,
            "max": round(max(delays), 2) if delays else None,
        },
        "rss_mib": memory,
        "targets": asdict(targets),
    }
    missed = []
    if percentile(latencies, 0.95) > targets.acceptance_p95_ms:
        missed.append("acceptance_p95_ms")
    if len(delays) < count or percentile(delays, 0.95) > targets.acknowledgement_p95_s:
        missed.append("acknowledgement_p95_s")
    if max(service_memory.values()) > targets.max_service_rss_mib:
        missed.append("max_service_rss_mib")
    result["missed_targets"] = missed
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    arguments = parser.parse_args()
    result = asyncio.run(run(arguments.applications, arguments.concurrency, Targets()))
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print(json.dumps(result))
    return 1 if result["missed_targets"] else 0


if __name__ == "__main__":
    sys.exit(main())
