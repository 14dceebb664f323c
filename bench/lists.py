"""``python -m bench lists``: the staff list at scale (issue 13 target 5, issue 11 §4).

Seeds ``--dossiers`` rows straight into selection's read model (bulk inserts, then the counts
rebuilt from them) in a database migrated to head, on SQLite (a file of its own) and on
PostgreSQL (a database of its own on ``--postgres``, dropped afterwards); then times, in this
process over ASGI, ``GET /api/v1/dossiers`` for each query shape (filters, search, sorts,
cursor pages, the bounded offset, the counts) and the console's ``/console/dossiers`` page
(which asks the same API, over ASGI too). Prints p50/p95/p99 per shape and one JSON line;
exits 1 when a p99 misses its target (100 ms for the API, 200 ms for the console page).
"""

import argparse
import asyncio
import functools
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert, text

from libs.auth import StaffRole, dev_signing_key, mint_dev_token
from libs.config import Environment
from libs.database import create_engine, is_sqlite, session_factory
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from services.console.app import create_app as create_console_app
from services.console.bootstrap import bootstrap as bootstrap_console
from services.console.pages import CONSOLE_CSRF_COOKIE
from services.console.settings import ConsoleSettings
from services.console.staff_api import HttpStaffApi
from services.selection.app import create_app as create_selection_app
from services.selection.bootstrap import bootstrap as bootstrap_selection
from services.selection.models import DossierFollow, StaffDossier
from services.selection.read_model import recount, search_text
from services.selection.settings import SelectionSettings
from workflows.dossier.models import ActionRequest, ActionResult, DossierSnapshot

REPO = Path(__file__).resolve().parents[1]
API_TARGET_MS = 100.0
PAGE_TARGET_MS = 200.0
BENCH_STAFF = "bench-staff"
RARE_NAME = "Zyxwvut"

CANDIDATE_STATUSES = {
    DossierStatus.RECEIVED: 2,
    DossierStatus.IN_REVIEW: 8,
    DossierStatus.INTERVIEW: 5,
    DossierStatus.IN_POOL: 3,
    DossierStatus.MATCHED: 1,
    DossierStatus.SELECTED: 1,
    DossierStatus.REJECTED: 60,
    DossierStatus.WITHDRAWN: 20,
}
PROJECT_STATUSES = {
    DossierStatus.RECEIVED: 2,
    DossierStatus.IN_EVALUATION: 6,
    DossierStatus.INVESTIGATION_REQUESTED: 2,
    DossierStatus.ELIGIBLE: 3,
    DossierStatus.SCHEDULED: 3,
    DossierStatus.DEFENDED: 2,
    DossierStatus.PARTNERSHIP_SIGNED: 2,
    DossierStatus.SELECTED: 1,
    DossierStatus.INELIGIBLE: 40,
    DossierStatus.NOT_SELECTED: 30,
    DossierStatus.WITHDRAWN: 9,
}
IN_ROUND = {
    DossierStatus.SCHEDULED,
    DossierStatus.DEFENDED,
    DossierStatus.PARTNERSHIP_SIGNED,
    DossierStatus.NOT_SELECTED,
}
FIRST_NAMES = (
    "Camille Alex Sam Dominique Claude Louise Jules Léa Hugo Inès Nora Paul Yanis Zoé".split()
)
LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier"
).split()
ADMINISTRATIONS = [
    "Préfecture de la région Occitanie",
    "Direction interministérielle du numérique",
    "Ministère de la Transition écologique",
    "Caisse nationale d'assurance vieillesse",
    "Direction générale des finances publiques",
    "Agence nationale de la cohésion des territoires",
    "Préfecture de police",
    "Institut national de la statistique",
    "Direction de l'information légale et administrative",
    "Office français de la biodiversité",
]
WORDS = (
    "signalement simplifié données ouvertes accompagnement usagers démarches contrôle "
    "fraude eau forêt mobilité santé école emploi justice logement énergie carte"
).split()
FILLER = "Une expérience entrepreneuriale variée au service de l'intérêt général. " * 8


class NoWorkflows:
    """The list never asks the dossier workflows: this port only has to exist."""

    async def apply_action(
        self, dossier_id: uuid.UUID, request: ActionRequest, *, update_id: str
    ) -> ActionResult:
        raise NotImplementedError

    async def snapshot(self, dossier_id: uuid.UUID) -> DossierSnapshot | None:
        return None


def pick(weights: dict[DossierStatus, int], chance: random.Random) -> DossierStatus:
    return chance.choices(list(weights), weights=list(weights.values()))[0]


def seeded_rows(count: int, now: datetime) -> list[dict[str, Any]]:
    """``count`` dossiers: 60 % candidates, most of them final, spread over three years."""
    chance = random.Random(7)
    rows, placed = [], False
    for number in range(count):
        candidate = chance.random() < 0.6
        status = pick(CANDIDATE_STATUSES if candidate else PROJECT_STATUSES, chance)
        final = status in FINAL_STATUSES
        age = timedelta(days=chance.uniform(0, 1095 if final else 90))
        updated_at = now - age
        submitted_at = updated_at - timedelta(days=chance.uniform(0, 60))
        if candidate:
            role = chance.choice(["product_director", "technical_director"])
            rare = number >= count // 2 and not placed  # one candidate in the middle
            placed = placed or rare
            last_name = RARE_NAME if rare else chance.choice(LAST_NAMES)
            application: dict[str, Any] = {
                "first_name": chance.choice(FIRST_NAMES),
                "last_name": last_name,
                "email": f"candidate.{number}@example.fr",
                "role": role,
                "years_of_experience": chance.randint(3, 25),
                "entrepreneurial_experience": FILLER,
                "motivation": FILLER,
                "links": [],
                "preferred_language": "fr",
            }
            title, roles, administration_kind = role, role, None
        else:
            wanted = chance.choice(
                [
                    ["product_director"],
                    ["technical_director"],
                    ["product_director", "technical_director"],
                ]
            )
            administration_kind = chance.choice(["central", "deconcentrated", "operator"])
            title = " ".join(chance.sample(WORDS, 3)).capitalize()
            application = {
                "administration_name": chance.choice(ADMINISTRATIONS),
                "administration_kind": administration_kind,
                "project_title": title,
                "problem_statement": FILLER,
                "public_policy": "Simplification administrative",
                "sponsor_name": "Alex Dupont",
                "sponsor_role": "Directrice",
                "beta_gouv_phase": "investigation",
                "profiles_wanted": wanted,
                "twelve_month_goals": FILLER,
                "contact_name": f"{chance.choice(FIRST_NAMES)} {chance.choice(LAST_NAMES)}",
                "contact_email": f"project.{number}@example.fr",
                "preferred_language": "fr",
            }
            roles = " ".join(wanted)
        rows.append(
            {
                "dossier_id": uuid.UUID(int=chance.getrandbits(128), version=4),
                "kind": "candidate" if candidate else "project",
                "title": title,
                "status": status.value,
                "final": final,
                "round_id": f"round-{chance.randrange(60)}"
                if not candidate and status in IN_ROUND
                else None,
                "overdue": not final and chance.random() < 0.1,
                "submitted_at": None if chance.random() < 0.005 else submitted_at,
                "updated_at": updated_at,
                "application": application,
                "search_text": search_text(title, application),
                "roles": roles,
                "administration_kind": administration_kind,
            }
        )
    return rows


async def migrate(database_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alembic",
        "upgrade",
        "head",
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(output.decode())


async def seed(database_url: str, count: int) -> tuple[float, list[uuid.UUID]]:
    """Seconds taken, and the dossiers the bench's staff member follows."""
    started = time.perf_counter()
    rows = seeded_rows(count, datetime.now(UTC))
    followed = [row["dossier_id"] for row in rows[:: max(1, count // 200)]]
    engine = create_engine(database_url)
    table = StaffDossier.__table__  # type: ignore[attr-defined]
    async with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            await connection.execute(insert(table), rows[start : start + 5000])
        await connection.execute(
            insert(DossierFollow.__table__),  # type: ignore[attr-defined]
            [
                {
                    "staff_id": BENCH_STAFF,
                    "dossier_id": dossier_id,
                    "followed_at": datetime.now(UTC),
                }
                for dossier_id in followed
            ],
        )
    await recount(session_factory(engine))
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return time.perf_counter() - started, followed


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 1)

    return {
        "p50": at(0.5),
        "p95": at(0.95),
        "p99": at(0.99),
        "mean": round(statistics.mean(values), 1),
    }


API_SHAPES: dict[str, dict[str, str]] = {
    "to_handle": {"final": "false"},
    "handled": {"final": "true"},
    "all": {},
    "kind_project_to_handle": {"kind": "project", "final": "false"},
    "status_in_review": {"status": "in_review"},
    "round": {"round_id": "round-7"},
    "overdue_to_handle": {"overdue": "true", "final": "false"},
    "role": {"role": "technical_director", "final": "false"},
    "administration_kind": {"administration_kind": "operator"},
    "all_filters": {
        "kind": "project",
        "status": "in_evaluation",
        "overdue": "false",
        "role": "product_director",
        "administration_kind": "central",
    },
    "search_common": {"q": "martin"},
    "search_rare": {"q": RARE_NAME.lower()},
    "search_two_letters": {"q": "ma"},
    "search_and_filters": {"q": "préfecture", "kind": "project", "final": "false"},
    "followed": {"followed": "true"},
    "sort_title": {"sort": "title"},
    "sort_waiting_longest": {"sort": "updated_asc", "final": "false"},
    "sort_submitted": {"sort": "submitted_desc"},
    "offset_10000": {"offset": "10000"},
}


async def timed(call: Callable[[], Awaitable[httpx.Response]], repeat: int) -> list[float]:
    for _ in range(3):  # warm the caches and the code paths
        (await call()).raise_for_status()
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await call()
        durations.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return durations


@asynccontextmanager
async def database(kind: str, postgres_dsn: str, workdir: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'lists.db'}"
        return
    name = f"eig_bench_lists_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_dsn, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = postgres_dsn.rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@dataclass(frozen=True)
class Stack:
    api: httpx.AsyncClient
    console: httpx.AsyncClient
    token: str


@asynccontextmanager
async def apps(database_url: str, data_dir: Path) -> AsyncIterator[Stack]:
    environment: dict[str, Any] = {
        "_env_file": None,
        "ENVIRONMENT": Environment.TEST,
        "DATA_DIR": data_dir,
    }
    selection = bootstrap_selection(
        SelectionSettings(
            **environment, DATABASE_URL=database_url, SELECTION_READ_MODEL_ENABLED=False
        ),
        dossier_workflows=NoWorkflows(),
    )
    selection_app = create_selection_app(selection=selection)
    key = dev_signing_key(data_dir / "dev-signing-key", create=True)
    assert key is not None
    token = mint_dev_token(
        key,
        subject=BENCH_STAFF,
        name="Bench",
        roles=frozenset({StaffRole.STAFF}),
        lifetime_seconds=3600,
    )
    staff_api = HttpStaffApi(selection_url="http://selection", contracts_url="http://contracts")
    staff_api._client = httpx.AsyncClient(  # the console's real adapter, over ASGI
        transport=httpx.ASGITransport(app=selection_app), timeout=30
    )
    console = bootstrap_console(ConsoleSettings(**environment), api=staff_api)
    console_app = create_console_app(console=console)
    page_headers = {"Accept": "text/html"}
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=selection_app),
            base_url="http://selection",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as api,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=console_app),
            base_url="http://console",
            headers=page_headers,
            timeout=30,
        ) as browser,
    ):
        await browser.get("/console/connexion")
        signed_in = await browser.post(
            "/console/connexion",
            data={
                "csrf_token": str(browser.cookies[CONSOLE_CSRF_COOKIE]),
                "name": "Bench",
                "role": "staff",
                "suivant": "/console/",
            },
        )
        assert signed_in.status_code in (302, 303), signed_in.text
        try:
            yield Stack(api, browser, token)
        finally:
            await staff_api.close()
            await selection.engine.dispose()


async def measure(stack: Stack, repeat: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name, params in API_SHAPES.items():
        query = {"limit": "50", **params}
        call = functools.partial(stack.api.get, "/api/v1/dossiers", params=query)
        results[f"api {name}"] = percentiles(await timed(call, repeat))
    results["api counts"] = percentiles(
        await timed(lambda: stack.api.get("/api/v1/dossiers/counts"), repeat)
    )
    # Twenty pages on by cursor, each page timed (the cursor walk's cost does not grow).
    walked: list[float] = []
    for _ in range(max(1, repeat // 20)):
        cursor = None
        for _ in range(20):
            params = {"limit": "50", "final": "false", **({"cursor": cursor} if cursor else {})}
            started = time.perf_counter()
            response = await stack.api.get("/api/v1/dossiers", params=params)
            walked.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            cursor = response.json()["next_cursor"]
    results["api cursor_pages"] = percentiles(walked)
    pages = {
        "page to_handle": "/console/dossiers",
        "page all": "/console/dossiers?tab=tous",
        "page search": "/console/dossiers?tab=tous&q=martin",
        "page filters": "/console/dossiers?kind=project&status=in_evaluation&role=product_director",
        "page csv": "/console/dossiers?tab=tous&kind=project&status=in_evaluation&format=csv",
    }
    for name, path in pages.items():
        results[name] = percentiles(await timed(functools.partial(stack.console.get, path), repeat))
    first = await stack.console.get("/console/dossiers")
    marker = 'href="/console/dossiers?'
    next_links = [
        part.split('"', 1)[0]
        for part in first.text.split(marker)[1:]
        if "apres=" in part.split('"', 1)[0]
    ]
    if next_links:
        link = "/console/dossiers?" + next_links[0].replace("&amp;", "&")
        results["page next"] = percentiles(await timed(lambda: stack.console.get(link), repeat))
    return results


def target_ms(shape: str) -> float | None:
    """The p99 a shape must meet; the CSV export (up to 10,000 rows) has none."""
    if shape == "page csv":
        return None
    return API_TARGET_MS if shape.startswith("api") else PAGE_TARGET_MS


async def run_one(kind: str, count: int, repeat: int, postgres_dsn: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="eig-bench-lists-") as workdir:
        async with database(kind, postgres_dsn, Path(workdir)) as url:
            await migrate(url)
            seconds, _ = await seed(url, count)
            async with apps(url, Path(workdir)) as stack:
                shapes = await measure(stack, repeat)
    missed = [
        name
        for name, figures in shapes.items()
        if (limit := target_ms(name)) is not None and figures["p99"] > limit
    ]
    return {
        "database": kind if is_sqlite(url) else "postgresql",
        "dossiers": count,
        "seed_seconds": round(seconds, 1),
        "shapes_ms": shapes,
        "missed_targets": missed,
    }


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=60, help="timed requests per shape")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"),
        help="an admin DSN: the bench creates and drops a database of its own there",
    )
    options = parser.parse_args(arguments)
    results = []
    for kind in options.databases.split(","):
        result = asyncio.run(
            run_one(kind.strip(), options.dossiers, options.repeat, options.postgres)
        )
        results.append(result)
        seeded = f"{result['dossiers']} dossiers, seeded in {result['seed_seconds']} s"
        print(f"\n{result['database']}: {seeded}")
        print(f"{'shape (ms)':<34}{'p50':>9}{'p95':>9}{'p99':>9}{'target':>9}")
        for name, figures in result["shapes_ms"].items():
            limit = target_ms(name) or ""
            print(f"{name:<34}{figures['p50']:>9}{figures['p95']:>9}{figures['p99']:>9}{limit:>9}")
        print(f"missed: {result['missed_targets'] or 'none'}")
    print(json.dumps({"bench": "lists", "load": os.getloadavg(), "results": results}))
    return 1 if any(result["missed_targets"] for result in results) else 0
