"""``python -m bench.chaos`` (``make chaos``): applications while parts of the stack fail.

Starts ``python -m deploy.local`` on free ports (its own DATA_DIR), submits candidate
applications, confirms each e-mail address through its confirmation request's link as soon as
it is in the Maildir (docs/adr/0024) and, meanwhile, kills the worker three times,
notifications twice and the broker once (SIGKILL; the launcher's supervisor restarts each),
and makes SMTP refuse mail for 30 s. Then it counts, from the outside: the dossier workflows in
Temporal, the confirmation requests and the acknowledgement e-mails in the Maildir (one of each
per applicant, none twice), and how long after the last fault's end the last acknowledgement
arrived. Prints a table and one JSON line; exits 1 when a check fails.
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from uuid import UUID

import httpx

from bench.__main__ import CANDIDATES, candidate
from deploy.local.settings import LocalStackSettings
from deploy.local.smtp import refuse_mail_until
from libs.temporal import TemporalConnection
from services.intake.reconciler import TemporalWorkflowLookup
from tests.email_confirmation import Maildir, confirm_as_they_arrive
from tests.eventually import eventually
from tests.local_stack import RunningStack, local_stack
from workflows.dossier.models import dossier_workflow_id

SMTP = "smtp"
"""The fault that is a refusal window rather than a kill."""


@dataclass(frozen=True)
class Fault:
    at: float
    """Seconds after the first submission."""
    part: str
    """A part of stack.json's ``pids`` (killed), or ``smtp`` (refuses mail)."""
    seconds: float = 0.0
    """How long SMTP refuses mail (``smtp`` only)."""


FULL_PLAN = (
    Fault(2, "workflows"),
    Fault(4, SMTP, seconds=30),
    Fault(7, "notifications"),
    Fault(10, "kafka"),
    Fault(15, "workflows"),
    Fault(21, "notifications"),
    Fault(27, "workflows"),
)
"""Issue 9 §4: the worker three times, notifications twice, the broker once, SMTP 30 s."""


@dataclass
class FaultRecord:
    part: str
    started: float
    ended: float | None = None
    """When the killed part was back (restarted and ready), or the refusal window closed."""


@dataclass
class Outcome:
    applications: int
    accepted: int = 0
    refused_submissions: int = 0
    workflows: int = 0
    confirmation_requests: int = 0
    confirmed: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    last_fault_end_to_last_ack_s: float | None = None
    faults: list[FaultRecord] = field(default_factory=list)
    elapsed_s: float = 0.0
    failed_checks: list[str] = field(default_factory=list)

    def check(self, within_s: float) -> None:
        if self.workflows != self.applications:
            self.failed_checks.append("workflows")
        if self.confirmation_requests != self.applications:
            self.failed_checks.append("confirmation_requests")
        if self.confirmed != self.applications:
            self.failed_checks.append("confirmed")
        if self.acknowledged != self.applications:
            self.failed_checks.append("acknowledged")
        if self.duplicates:
            self.failed_checks.append("duplicates")
        if any(fault.ended is None for fault in self.faults):
            self.failed_checks.append("faults_recovered")
        late = self.last_fault_end_to_last_ack_s
        if late is not None and late > within_s:
            self.failed_checks.append("acknowledged_within")


async def back_after_kill(stack: RunningStack, part: str, old_pid: int) -> None:
    """Until stack.json lists a new pid for ``part`` (the supervisor writes it once ready)."""

    async def restarted() -> bool:
        return stack.current_state().get("pids", {}).get(part) not in (None, old_pid)

    await eventually(restarted, timeout=300, interval=0.1)


async def kill_running(stack: RunningStack, part: str) -> int:
    """SIGKILL the part's process once stack.json lists a live one: under load a fault may
    come while the previous one's restart is still under way (its pid is gone)."""

    async def live_pid() -> int | None:
        pid = stack.current_state().get("pids", {}).get(part)
        if pid is None:
            return None
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return None
        return int(pid)

    while True:
        pid = await eventually(live_pid, timeout=300, interval=0.1)
        assert pid is not None
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue  # gone between the look and the kill: its successor is the target
        return pid


async def inject(stack: RunningStack, fault: Fault, origin: float) -> FaultRecord:
    await asyncio.sleep(max(0.0, origin + fault.at - time.time()))
    if fault.part == SMTP:
        control = Path(stack.state["smtp_refusal_file"])
        record = FaultRecord(SMTP, time.time())
        refuse_mail_until(control, record.started + fault.seconds)
        await asyncio.sleep(fault.seconds)
        refuse_mail_until(control, 0)
        record.ended = time.time()
        return record
    pid = await kill_running(stack, fault.part)
    record = FaultRecord(fault.part, time.time())
    await back_after_kill(stack, fault.part, pid)
    record.ended = time.time()
    return record


async def submit_all(
    intake: str, addresses: list[str], concurrency: int, outcome: Outcome
) -> dict[str, UUID]:
    dossiers: dict[str, UUID] = {}
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as client:

        async def submit(address: str) -> None:
            async with semaphore:
                response = await client.post(intake + CANDIDATES, json=candidate(address))
            if response.status_code == 202:
                dossiers[address] = UUID(response.json()["dossier_id"])
            else:
                outcome.refused_submissions += 1

        await asyncio.gather(*(submit(address) for address in addresses))
    outcome.accepted = len(dossiers)
    return dossiers


async def count_workflows(stack: RunningStack, dossier_ids: list[UUID]) -> int:
    namespace = LocalStackSettings(_env_file=None).TEMPORAL_NAMESPACE
    lookup = TemporalWorkflowLookup(TemporalConnection(stack.urls["temporal"], namespace))
    return len(await lookup.existing([dossier_workflow_id(id_) for id_ in dossier_ids]))


async def observe(
    stack: RunningStack,
    mails: Maildir,
    dossiers: dict[str, UUID],
    outcome: Outcome,
    wait_s: float,
    confirmations: "asyncio.Task[dict[str, float]]",
) -> None:
    """Count workflows and e-mails until every applicant has both, or ``wait_s`` after the
    last fault; then a little longer, so that a late duplicate is counted too."""
    addresses = set(dossiers)
    last_end = max((fault.ended or time.time() for fault in outcome.faults), default=time.time())
    deadline = last_end + wait_s
    settled_at: float | None = None
    while time.time() < deadline and (settled_at is None or time.time() < settled_at + 10):
        _, acknowledgements, _ = mails.counts(addresses)
        if settled_at is None and len(acknowledgements) == len(addresses):
            outcome.workflows = await count_workflows(stack, list(dossiers.values()))
            if outcome.workflows == len(addresses):
                settled_at = time.time()
        await asyncio.sleep(0.5)
    if not confirmations.done():
        confirmations.cancel()
    requests, acknowledgements, newest = mails.counts(addresses)
    outcome.confirmation_requests = len(requests)
    outcome.acknowledged = len(acknowledgements)
    outcome.duplicates = sum(count - 1 for count in acknowledgements.values()) + sum(
        count - 1 for count in requests.values()
    )
    outcome.workflows = await count_workflows(stack, list(dossiers.values()))
    if acknowledgements:
        outcome.last_fault_end_to_last_ack_s = round(newest - last_end, 1)


async def run(
    count: int,
    concurrency: int,
    plan: tuple[Fault, ...] = FULL_PLAN,
    *,
    workdir: Path | None = None,
    wait_s: float = 180.0,
    within_s: float = 60.0,
    settings: dict[str, str] | None = None,
) -> Outcome:
    """The whole drill on a stack of its own; ``workdir`` keeps the stack's files (logs) for a
    look afterwards; ``settings`` are environment variables of the stack's processes."""
    with tempfile.TemporaryDirectory(prefix="eig-chaos-") as scratch:
        async with local_stack(workdir or Path(scratch), settings) as stack:
            outcome = await drill(stack, count, concurrency, plan, wait_s=wait_s)
    outcome.check(within_s)
    return outcome


async def drill(
    stack: RunningStack,
    count: int,
    concurrency: int,
    plan: tuple[Fault, ...] = FULL_PLAN,
    *,
    wait_s: float = 180.0,
) -> Outcome:
    """``count`` applications on a running ``stack`` while ``plan``'s faults happen, counted
    once every part is back (the suite runs it on its shared end-to-end stack)."""
    outcome = Outcome(applications=count)
    started = time.time()
    run_id = os.urandom(3).hex()
    addresses = [f"chaos.{run_id}.{n}@example.fr" for n in range(count)]
    faults = [asyncio.create_task(inject(stack, fault, started)) for fault in plan]
    mails = Maildir(Path(stack.state["maildir"]))
    confirmed_at: dict[str, float] = {}
    # The applicants confirm as their requests arrive, faults or not (intake alone
    # records a confirmation, with its outbox row: nothing killed here can lose it).
    confirmations = asyncio.create_task(
        confirm_as_they_arrive(mails, set(addresses), concurrency=concurrency, into=confirmed_at)
    )
    dossiers = await submit_all(stack.urls["intake"], addresses, concurrency, outcome)
    outcome.faults = list(await asyncio.gather(*faults))
    await observe(stack, mails, dossiers, outcome, wait_s, confirmations)
    outcome.confirmed = len(confirmed_at)
    outcome.elapsed_s = round(time.time() - started, 1)
    return outcome


def report(outcome: Outcome) -> str:
    rows = [
        ("applications", outcome.applications, ""),
        ("accepted (202)", outcome.accepted, f"refused: {outcome.refused_submissions}"),
        ("workflows", outcome.workflows, f"target {outcome.applications}"),
        ("confirmation requests", outcome.confirmation_requests, "target exactly the same"),
        ("confirmed", outcome.confirmed, f"target {outcome.applications}"),
        ("acknowledgements", outcome.acknowledged, f"target exactly {outcome.applications}"),
        ("duplicates", outcome.duplicates, "target 0"),
        ("last fault end → last ack (s)", outcome.last_fault_end_to_last_ack_s, "target ≤ 60"),
        ("elapsed (s)", outcome.elapsed_s, ""),
    ]
    for fault in outcome.faults:
        took = None if fault.ended is None else round(fault.ended - fault.started, 1)
        rows.append((f"fault: {fault.part}", took, "seconds until back"))
    width = max(len(name) for name, _, _ in rows)
    lines = [f"{name:>{width}}  {value!s:>8}  {note}" for name, value, note in rows]
    lines.append(f"{'failed checks':>{width}}  {', '.join(outcome.failed_checks) or 'none'}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep the stack's files (logs) in this folder")
    parser.add_argument(
        "--wait",
        type=float,
        default=180.0,
        help="seconds after the last fault's end to wait for every acknowledgement (counts "
        "past it still show what was lost or late; the 60 s target is checked apart)",
    )
    arguments = parser.parse_args()
    if arguments.keep is not None:
        arguments.keep.mkdir(parents=True, exist_ok=True)
    outcome = asyncio.run(
        run(
            arguments.applications,
            arguments.concurrency,
            workdir=arguments.keep,
            wait_s=arguments.wait,
        )
    )
    print(report(outcome))
    print(json.dumps(asdict(outcome)))
    return 1 if outcome.failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())
