"""The embedded stack: which parts run, in which order, on which ports, and what the user sees."""

import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from deploy.local.engines import (
    port_is_free,
    smtp_command,
    tansu_command,
    temporal_dev_command,
    wait_for_port,
)
from deploy.local.probes import http_probe, smtp_probe, temporal_probe
from deploy.local.settings import LocalStackSettings, child_environment, save_link_secret
from deploy.local.supervisor import (
    HeldCheck,
    PortClaim,
    ProcessSpec,
    Reporter,
    StartupFailed,
    Step,
    Supervisor,
    TaskSpec,
)
from libs.auth import write_dev_tokens
from libs.config import AuthMode
from libs.kafka import ensure_topics
from libs.kafka_connection import KafkaConnection

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_APPLICATION = Path(__file__).with_name("examples") / "candidate-application.json"
CANDIDATE_SUBMISSION_PATH = "/api/v1/applications/candidates"

PORT_CONFLICT_EXIT_CODE = 2
CONFIGURATION_ERROR_EXIT_CODE = 2
STARTUP_FAILED_EXIT_CODE = 1


@dataclass(frozen=True)
class Service:
    """One of the platform's own processes, started as ``python -m <module>``."""

    name: str
    module: str
    port_setting: str
    purpose: str
    # Readiness, not liveness: a service counts as started once its dependencies answer and
    # its consumers hold partitions, so the first application is handled at once.
    health_path: str = "/readyz"


SERVICES = (
    Service("intake", "services.intake", "INTAKE_PORT", "intake API (applications)"),
    Service("selection", "services.selection", "SELECTION_PORT", "selection API"),
    Service("contracts", "services.contracts", "CONTRACTS_PORT", "contracts API"),
    Service(
        "notifications", "services.notifications", "NOTIFICATIONS_PORT", "notifications service"
    ),
    Service("console", "services.console", "CONSOLE_PORT", "staff console"),
    Service("workflows", "workflows", "WORKFLOWS_PORT", "Temporal worker and Kafka bridge"),
)


def report(message: str) -> None:
    print(f"[eig {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def service_is_present(service: Service) -> bool:
    """Whether the service's package is in this checkout (``__main__`` included)."""
    try:
        return importlib.util.find_spec(f"{service.module}.__main__") is not None
    except ModuleNotFoundError:
        return False


def kafka_broker(settings: LocalStackSettings) -> ProcessSpec:
    host, port = settings.BIND_HOST, settings.KAFKA_PORT

    async def topics_exist() -> None:
        # The broker keeps topics in memory only: after each (re)start they are created again.
        await wait_for_port(host, port, timeout=1.0)
        await ensure_topics(KafkaConnection(settings.kafka_bootstrap_servers))

    return ProcessSpec(
        name="kafka",
        command=tansu_command(host, port),
        ready=topics_exist,
        ports=[PortClaim(port, "KAFKA_PORT", "the Kafka broker (Tansu)")],
        start_timeout=settings.STARTUP_TIMEOUT_SECONDS,
    )


def temporal_server(settings: LocalStackSettings) -> ProcessSpec:
    return ProcessSpec(
        name="temporal",
        command=temporal_dev_command(
            settings.BIND_HOST,
            settings.TEMPORAL_PORT,
            settings.TEMPORAL_UI_PORT,
            settings.temporal_db_file,
            namespaces=[settings.TEMPORAL_NAMESPACE],
        ),
        ready=temporal_probe(settings.temporal_address, settings.TEMPORAL_NAMESPACE),
        ports=[
            PortClaim(settings.TEMPORAL_PORT, "TEMPORAL_PORT", "the Temporal dev server"),
            PortClaim(settings.TEMPORAL_UI_PORT, "TEMPORAL_UI_PORT", "the Temporal web UI"),
        ],
        start_timeout=settings.STARTUP_TIMEOUT_SECONDS,
    )


def smtp_server(settings: LocalStackSettings) -> ProcessSpec:
    host, port = settings.BIND_HOST, settings.SMTP_PORT
    return ProcessSpec(
        name="smtp",
        command=smtp_command(host, port, settings.maildir, settings.smtp_refusal_file),
        ready=smtp_probe(host, port),
        ports=[PortClaim(port, "SMTP_PORT", "the local SMTP server")],
        start_timeout=settings.STARTUP_TIMEOUT_SECONDS,
    )


def migrations(settings: LocalStackSettings, env: Mapping[str, str]) -> TaskSpec:
    return TaskSpec(
        name="migrations",
        command=[sys.executable, "-m", "alembic", "upgrade", "head"],
        env=dict(env),
        timeout=settings.STARTUP_TIMEOUT_SECONDS,
    )


def service_process(
    settings: LocalStackSettings,
    service: Service,
    env: Mapping[str, str],
    *,
    with_previous: bool = False,
) -> ProcessSpec:
    port = int(getattr(settings, service.port_setting))
    return ProcessSpec(
        name=service.name,
        command=[sys.executable, "-m", service.module],
        env=dict(env),
        ready=http_probe(settings.service_url(port) + service.health_path),
        ports=[PortClaim(port, service.port_setting, f"the {service.purpose}")],
        start_timeout=settings.STARTUP_TIMEOUT_SECONDS,
        with_previous=with_previous,
    )


def build_stack(
    settings: LocalStackSettings,
    *,
    environ: Mapping[str, str],
    services: tuple[Service, ...] = SERVICES,
    repo_root: Path = REPO_ROOT,
    report: Reporter = report,
) -> list[Step]:
    """The parts to start, in order; services missing from this checkout are left out."""
    env = child_environment(settings, environ)
    steps: list[Step] = [kafka_broker(settings), temporal_server(settings)]
    if (repo_root / "alembic.ini").is_file():
        steps.append(migrations(settings, env))
    else:
        report(f"warning: {repo_root / 'alembic.ini'} is missing, database migrations skipped")
    steps.append(smtp_server(settings))
    # The services depend on the engines only, not on each other: they start together, which
    # takes the time of the slowest (Kafka group joins) rather than the sum.
    first = True
    for service in services:
        if service_is_present(service):
            steps.append(service_process(settings, service, env, with_previous=not first))
            first = False
        else:
            report(f"warning: {service.module} is not in this checkout, {service.name} skipped")
    return steps


def held_parts(hold_dir: Path) -> HeldCheck:
    """A part is held down while ``hold_dir/<part>`` exists: a drill kills it, observes the
    outage for as long as it needs, then removes the file and the supervisor restarts it."""
    return lambda name: (hold_dir / name).exists()


def port_conflicts(host: str, steps: list[Step]) -> list[str]:
    """One message per port that is taken, or claimed twice by the configuration."""
    claims = [claim for step in steps if isinstance(step, ProcessSpec) for claim in step.ports]
    messages: list[str] = []
    owners: dict[int, PortClaim] = {}
    for claim in claims:
        if claim.port in owners:
            other = owners[claim.port]
            messages.append(
                f"port {claim.port} is configured twice: for {other.purpose} ({other.setting})"
                f" and for {claim.purpose} ({claim.setting}); give one of them another port."
            )
            continue
        owners[claim.port] = claim
        if not port_is_free(host, claim.port):
            messages.append(
                f"port {claim.port} on {host} is already in use; the stack needs it for "
                f"{claim.purpose} ({claim.setting}). Stop what uses it (a stack already "
                f"running?) or set {claim.setting} to a free port."
            )
    return messages


def stack_urls(settings: LocalStackSettings, started: set[str]) -> dict[str, str]:
    urls = {
        "kafka": settings.kafka_bootstrap_servers,
        "temporal": settings.temporal_address,
        "temporal_ui": settings.service_url(settings.TEMPORAL_UI_PORT),
        "smtp": f"{settings.BIND_HOST}:{settings.SMTP_PORT}",
    }
    for service in SERVICES:
        if service.name in started:
            urls[service.name] = settings.service_url(int(getattr(settings, service.port_setting)))
    if "workflows" in urls:
        urls["workflows_health"] = urls["workflows"] + "/healthz"
    return urls


def running_names(supervisor: Supervisor) -> set[str]:
    return {step.name for step in supervisor.steps if isinstance(step, ProcessSpec)}


def write_stack_file(settings: LocalStackSettings, supervisor: Supervisor) -> None:
    """``DATA_DIR/stack.json``, for tests and tools; removed when the stack stops.

    Keys: ``launcher_pid``, ``data_dir``, ``database_url``, ``maildir``, ``logs_dir``,
    ``smtp_refusal_file`` (deploy/local/smtp.py), ``hold_dir`` (:func:`held_parts`),
    ``urls`` (``kafka``, ``temporal`` as host:port; ``temporal_ui``, ``smtp`` (host:port),
    one base URL per running service, ``workflows_health``) and ``pids`` (name → pid,
    rewritten after every restart).
    """
    pids = supervisor.pids
    state = {
        "launcher_pid": os.getpid(),
        "data_dir": str(settings.data_dir),
        "database_url": settings.database_url,
        "maildir": str(settings.maildir),
        "logs_dir": str(settings.logs_dir),
        "smtp_refusal_file": str(settings.smtp_refusal_file),
        "hold_dir": str(settings.hold_dir),
        "urls": stack_urls(settings, running_names(supervisor)),
        "pids": pids,
    }
    partial = settings.stack_file.with_suffix(".json.tmp")
    partial.write_text(json.dumps(state, indent=2) + "\n")
    partial.replace(settings.stack_file)


def console_sign_in_hint(settings: LocalStackSettings) -> str:
    """How staff sign in to the console the launcher started: the development page's role
    picker (``AUTH_MODE=dev``), or the identity provider's own page (``AUTH_MODE=oidc``)."""
    if settings.AUTH_MODE == AuthMode.OIDC:
        return f"sign in: with the identity provider {settings.OIDC_ISSUER}"
    return "sign in: pick a role"


def welcome(settings: LocalStackSettings, urls: Mapping[str, str]) -> str:
    rows: list[tuple[str, str]] = []
    if "intake" in urls:  # what applicants open: the programme, both forms, the results
        forms = "apply: /candidater, /deposer-un-projet"
        rows.append(("Applicant site", f"{urls['intake']}/   ({forms})"))
    if "console" in urls:
        hint = console_sign_in_hint(settings)
        rows.append(("Staff console", f"{urls['console']}/console/   ({hint})"))
    for name, label in (
        ("intake", "Intake API"),
        ("selection", "Selection API"),
        ("contracts", "Contracts API"),
    ):
        if name in urls:
            rows.append((label, f"{urls[name]}   (docs: {urls[name]}/docs)"))
    if "notifications" in urls:
        rows.append(("Notifications", urls["notifications"] + "/healthz"))
    if "workflows_health" in urls:
        rows.append(("Worker health", urls["workflows_health"]))
    rows += [
        ("Temporal web UI", urls["temporal_ui"]),
        ("Temporal (gRPC)", urls["temporal"]),
        ("Kafka bootstrap", urls["kafka"]),
        ("SMTP", urls["smtp"]),
        ("E-mails (Maildir)", f"{settings.maildir / 'new'}/"),
        ("Database", settings.database_url),
        ("Logs", f"{settings.logs_dir}/"),
    ]
    if settings.AUTH_MODE == AuthMode.DEV:  # the staff APIs accept no other bearer under OIDC
        rows.append(("Staff tokens", f"{settings.dev_tokens_file} (one bearer token per role)"))
    lines = ["", "EIG dossier platform is running:"]
    lines += [f"  {label:<18} {value}" for label, value in rows]
    lines.append("")
    if "intake" in urls:
        lines.append(
            "Try: curl -s -H 'Content-Type: application/json' "
            f"-d @{os.path.relpath(EXAMPLE_APPLICATION)} "
            f"{urls['intake']}{CANDIDATE_SUBMISSION_PATH}"
        )
    lines.append("What is stuck, where and since when: make status (python -m deploy.status).")
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


def refuse_port_conflicts(settings: LocalStackSettings, steps: list[Step]) -> bool:
    """Say why the stack cannot start, if a port it needs is taken; True when it cannot."""
    conflicts = port_conflicts(settings.BIND_HOST, steps)
    for message in conflicts:
        print(f"Cannot start the stack: {message}", file=sys.stderr)
    if conflicts and settings.stack_file.is_file():
        print(
            f"A stack may still be running from {settings.data_dir}: its processes are "
            f"listed in {settings.stack_file}.",
            file=sys.stderr,
        )
    return bool(conflicts)


def prepare_data_dir(settings: LocalStackSettings) -> None:
    # A Maildir is valid only with its three folders; aiosmtpd creates them only when the
    # Maildir itself does not exist yet.
    maildir_folders = [settings.maildir / folder for folder in ("tmp", "new", "cur")]
    for directory in (settings.data_dir, settings.logs_dir, settings.hold_dir, *maildir_folders):
        directory.mkdir(parents=True, exist_ok=True)
    # A hold left by an interrupted drill must not keep a part of this run down.
    for stale in settings.hold_dir.iterdir():
        stale.unlink()
    # Staff APIs accept these bearer tokens on the embedded stack (AUTH_MODE=dev).
    write_dev_tokens(settings.dev_tokens_file)
    save_link_secret(settings)


async def run(settings: LocalStackSettings, environ: Mapping[str, str]) -> int:
    """Start the stack, keep it running until SIGINT/SIGTERM, stop it; the exit code."""
    steps = build_stack(settings, environ=environ)
    if refuse_port_conflicts(settings, steps):
        return PORT_CONFLICT_EXIT_CODE
    prepare_data_dir(settings)
    report(f"starting the EIG stack (state in {settings.data_dir}, logs in {settings.logs_dir})")
    supervisor = Supervisor(
        steps,
        log_dir=settings.logs_dir,
        cwd=REPO_ROOT,
        stop_timeout=settings.STOP_TIMEOUT_SECONDS,
        report=report,
        on_restart=lambda _name: write_stack_file(settings, supervisor),
        held=held_parts(settings.hold_dir),
    )
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop_requested.set)
    try:
        exit_code = await serve_until_stopped(settings, supervisor, stop_requested)
    finally:
        report("stopping the stack")
        await supervisor.stop()
        with contextlib.suppress(FileNotFoundError):
            settings.stack_file.unlink()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    report("stopped" if exit_code == 0 else "stopped after a failed start-up")
    return exit_code


async def serve_until_stopped(
    settings: LocalStackSettings, supervisor: Supervisor, stop_requested: asyncio.Event
) -> int:
    """Start every part, then wait for ``stop_requested``; the exit code (the caller stops)."""
    starting = asyncio.create_task(supervisor.start())
    waiting = asyncio.create_task(stop_requested.wait())
    try:
        await asyncio.wait({starting, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            report("stop requested during start-up")
            starting.cancel()
        try:
            await starting
        except asyncio.CancelledError:
            return 0
        except StartupFailed as failure:
            report(f"start-up failed: {failure}")
            log_lines = "\n".join(f"    | {line}" for line in failure.log_tail)
            if log_lines:
                report(f"last lines of {settings.logs_dir / failure.name}.log:\n{log_lines}")
            return STARTUP_FAILED_EXIT_CODE
        write_stack_file(settings, supervisor)
        print(welcome(settings, stack_urls(settings, running_names(supervisor))), flush=True)
        await waiting
        return 0
    finally:
        waiting.cancel()
