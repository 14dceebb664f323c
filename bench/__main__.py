"""``python -m bench``: the applicant journey under load, against a whole local stack.

Starts ``python -m deploy.local`` on free ports (its own DATA_DIR), submits applications at a
fixed concurrency, confirms each e-mail address through its confirmation request's link as soon
as it is in the Maildir (docs/adr/0024), and measures: HTTP acceptance latency and throughput,
the delay from submission to the confirmation request, from confirmation to the
acknowledgement e-mail, and each process's resident memory.
Prints a table and a JSON line, and exits 1 when a target is missed.

``python -m bench enrolment``: the promotion's cost per enrolment, before and after ADR 15
(``bench/enrolment.py``).

``python -m bench lists --dossiers 100000``: the staff list's latency per query shape over
that many dossiers, on SQLite and PostgreSQL (``bench/lists.py``).
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

from tests.email_confirmation import Maildir, confirm_as_they_arrive
from tests.eventually import eventually
from tests.local_stack import local_stack

CANDIDATES = "/api/v1/applications/candidates"


@dataclass(frozen=True)
class Targets:
    """What a serious public service owes its applicants on one 2-core machine."""

    acceptance_p95_ms: float = 250.0
    acknowledgement_p95_s: float = 10.0
    """Each e-mail, p95: the confirmation request after the submission, the acknowledgement
    after the confirmation."""
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

            # The applicants confirm as their requests arrive: the acknowledgement follows.
            mails = Maildir(maildir)
            wanted = set(addresses)
            confirmed_at = await asyncio.wait_for(
                confirm_as_they_arrive(mails, wanted, concurrency=concurrency), timeout=120
            )
            requested_at = {
                mail.to: mail.mtime for mail in mails.mails() if mail.confirm_link is not None
            }
            request_delays = [requested_at[a] - submitted_at[a] for a in addresses]

            async def acknowledged() -> dict[str, float] | None:
                found = {
                    mail.to: mail.mtime
                    for mail in mails.mails()
                    if mail.confirm_link is None and mail.to in wanted
                }
                return found if len(found) == len(wanted) else None

            try:
                delivered = await eventually(acknowledged, timeout=120, interval=0.2) or {}
            except AssertionError:
                delivered = {
                    mail.to: mail.mtime for mail in mails.mails() if mail.confirm_link is None
                }
            delays = [delivered[a] - confirmed_at[a] for a in addresses if a in delivered]
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
        "confirmation_request_s": {
            "p50": round(statistics.median(request_delays), 2),
            "p95": round(percentile(request_delays, 0.95), 2),
            "max": round(max(request_delays), 2),
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
    if percentile(request_delays, 0.95) > targets.acknowledgement_p95_s:
        missed.append("confirmation_request_p95_s")
    if max(service_memory.values()) > targets.max_service_rss_mib:
        missed.append("max_service_rss_mib")
    result["missed_targets"] = missed
    return result


def main() -> int:
    if sys.argv[1:2] == ["enrolment"]:
        from bench import enrolment  # only this bench needs it (no stack)

        return enrolment.main(sys.argv[2:])
    if sys.argv[1:2] == ["lists"]:
        from bench import lists  # only this bench needs it (no stack)

        return lists.main(sys.argv[2:])
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
