"""The launcher refuses taken ports before starting anything; it tells children where to go."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.launcher import (
    PORT_CONFLICT_EXIT_CODE,
    REPO_ROOT,
    SERVICES,
    Service,
    build_stack,
    held_parts,
    port_conflicts,
    prepare_data_dir,
    welcome,
)
from deploy.local.settings import LocalStackSettings, child_environment, save_link_secret
from deploy.local.supervisor import ProcessSpec, TaskSpec
from tests.local_stack import PORT_SETTINGS, free_ports


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own settings must not leak into what these tests build."""
    for name in (*PORT_SETTINGS, "DATABASE_URL", "PUBLIC_INTAKE_URL", "DATA_DIR", "BIND_HOST"):
        monkeypatch.delenv(name, raising=False)


def stack_settings(data_dir: Path, **overrides: object) -> LocalStackSettings:
    values = {**free_ports(), "DATA_DIR": data_dir, **overrides}
    return LocalStackSettings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


class TestPortConflicts:
    def test_a_taken_port_is_named_with_the_setting_that_moves_it(self, tmp_path, occupied_port):
        settings = stack_settings(tmp_path, SELECTION_PORT=occupied_port)

        messages = port_conflicts("127.0.0.1", build_stack(settings, environ={}))

        assert len(messages) == 1
        assert f"port {occupied_port} on 127.0.0.1 is already in use" in messages[0]
        assert "selection API (SELECTION_PORT)" in messages[0]

    def test_a_port_configured_for_two_parts_is_refused(self, tmp_path):
        settings = stack_settings(tmp_path)
        settings.SMTP_PORT = settings.KAFKA_PORT

        messages = port_conflicts("127.0.0.1", build_stack(settings, environ={}))

        assert messages == [
            f"port {settings.KAFKA_PORT} is configured twice: for the Kafka broker (Tansu) "
            "(KAFKA_PORT) and for the local SMTP server (SMTP_PORT); give one of them another "
            "port."
        ]

    def test_free_ports_raise_no_conflict(self, tmp_path):
        settings = stack_settings(tmp_path)

        assert port_conflicts("127.0.0.1", build_stack(settings, environ={})) == []

    def test_the_launcher_exits_2_naming_the_port_and_starts_nothing(self, tmp_path, occupied_port):
        data_dir = tmp_path / "stack"
        environment = {
            **os.environ,
            **{name: str(port) for name, port in free_ports().items()},
            "TEMPORAL_UI_PORT": str(occupied_port),
            "DATA_DIR": str(data_dir),
        }

        launcher = subprocess.run(
            [sys.executable, "-m", "deploy.local"],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

        assert launcher.returncode == PORT_CONFLICT_EXIT_CODE
        assert f"port {occupied_port}" in launcher.stderr
        assert "the Temporal web UI (TEMPORAL_UI_PORT)" in launcher.stderr
        assert not data_dir.exists()


class TestChildEnvironment:
    def test_children_get_the_stack_addresses_and_absolute_paths(self, tmp_path):
        settings = stack_settings(tmp_path / "state", BIND_HOST="127.0.0.2")

        environment = child_environment(settings, {"PATH": "/usr/bin", "KAFKA_PORT": "1"})

        host = "127.0.0.2"
        assert environment["PATH"] == "/usr/bin"
        assert environment["ENVIRONMENT"] == "development"
        assert environment["DATA_DIR"] == str((tmp_path / "state").resolve())
        assert environment["DATABASE_URL"] == f"sqlite:///{(tmp_path / 'state').resolve()}/eig.db"
        assert environment["KAFKA_BOOTSTRAP_SERVERS"] == f"{host}:{settings.KAFKA_PORT}"
        assert environment["TEMPORAL_ADDRESS"] == f"{host}:{settings.TEMPORAL_PORT}"
        assert environment["SMTP_HOST"] == host
        assert environment["SMTP_PORT"] == str(settings.SMTP_PORT)
        assert environment["PUBLIC_INTAKE_URL"] == f"http://{host}:{settings.INTAKE_PORT}"
        for service in ("INTAKE", "SELECTION", "CONTRACTS", "NOTIFICATIONS", "WORKFLOWS"):
            assert environment[f"{service}_HOST"] == host
            assert environment[f"{service}_PORT"] == str(getattr(settings, f"{service}_PORT"))

    def test_children_share_a_random_link_secret_kept_across_restarts(self, tmp_path):
        settings = stack_settings(tmp_path / "state")

        secret = child_environment(settings, {})["DOSSIER_LINK_SECRET"]
        assert not settings.link_secret_file.exists()  # nothing written before the start
        settings.link_secret_file.parent.mkdir(parents=True)
        save_link_secret(settings)
        restarted = child_environment(stack_settings(tmp_path / "state"), {})

        assert len(bytes.fromhex(secret)) == 32
        assert restarted["DOSSIER_LINK_SECRET"] == secret
        other_stack = child_environment(stack_settings(tmp_path / "other"), {})
        assert other_stack["DOSSIER_LINK_SECRET"] != secret

    def test_a_link_secret_of_the_callers_environment_is_kept(self, tmp_path):
        settings = stack_settings(tmp_path / "state")

        environment = child_environment(settings, {"DOSSIER_LINK_SECRET": "ab" * 32})

        assert environment["DOSSIER_LINK_SECRET"] == "ab" * 32

    def test_a_relative_sqlite_url_is_made_absolute(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        settings = stack_settings(tmp_path, DATABASE_URL="sqlite:///data/other.db")

        environment = child_environment(settings, {})

        assert environment["DATABASE_URL"] == f"sqlite:///{tmp_path.resolve()}/data/other.db"

    def test_a_postgresql_url_is_passed_unchanged(self, tmp_path):
        url = "postgresql://eig:secret@db.internal:5432/eig"
        settings = stack_settings(tmp_path, DATABASE_URL=url)

        assert child_environment(settings, {})["DATABASE_URL"] == url

    def test_an_explicit_public_intake_url_is_kept(self, tmp_path):
        settings = stack_settings(tmp_path, PUBLIC_INTAKE_URL="https://eig.example.fr")

        assert child_environment(settings, {})["PUBLIC_INTAKE_URL"] == "https://eig.example.fr"

    def test_real_smtp_credentials_are_not_given_to_the_local_server_clients(self, tmp_path):
        settings = stack_settings(tmp_path)

        environment = child_environment(
            settings,
            {"SMTP_USERNAME": "me", "SMTP_PASSWORD": "hunter2", "SMTP_STARTTLS": "true"},
        )

        assert "SMTP_USERNAME" not in environment
        assert "SMTP_PASSWORD" not in environment
        assert environment["SMTP_STARTTLS"] == "false"

    def test_an_in_memory_sqlite_database_is_refused(self, tmp_path):
        settings = stack_settings(tmp_path, DATABASE_URL="sqlite://")

        with pytest.raises(ValueError, match="DATABASE_URL"):
            child_environment(settings, {})


class TestStackOrder:
    def test_engines_then_migrations_then_services_in_order(self, tmp_path):
        settings = stack_settings(tmp_path)
        services = (
            Service("selection", "services.selection", "SELECTION_PORT", "selection API"),
            Service("contracts", "services.contracts", "CONTRACTS_PORT", "contracts API"),
        )

        steps = build_stack(settings, environ={}, services=services)

        names = ["kafka", "temporal", "migrations", "smtp", "selection", "contracts"]
        assert [step.name for step in steps] == names
        assert isinstance(steps[2], TaskSpec)
        assert list(steps[2].command[-3:]) == ["alembic", "upgrade", "head"]

    def test_the_platform_services_start_intake_first_and_the_worker_last(self):
        assert [service.name for service in SERVICES] == [
            "intake",
            "selection",
            "contracts",
            "notifications",
            "console",
            "workflows",
        ]

    def test_services_run_as_modules_with_the_stack_environment(self, tmp_path):
        settings = stack_settings(tmp_path)
        selection = Service("selection", "services.selection", "SELECTION_PORT", "selection API")

        steps = build_stack(settings, environ={}, services=(selection,))

        spec = steps[-1]
        assert isinstance(spec, ProcessSpec)
        assert list(spec.command) == [sys.executable, "-m", "services.selection"]
        assert spec.env is not None
        assert spec.env["SELECTION_PORT"] == str(settings.SELECTION_PORT)

    def test_a_service_missing_from_the_checkout_is_skipped_with_a_warning(self, tmp_path):
        settings = stack_settings(tmp_path)
        missing = Service("ghost", "services.ghost", "INTAKE_PORT", "ghost API")
        messages: list[str] = []

        steps = build_stack(settings, environ={}, services=(missing,), report=messages.append)

        assert "ghost" not in [step.name for step in steps]
        assert messages == ["warning: services.ghost is not in this checkout, ghost skipped"]

    def test_migrations_are_skipped_with_a_warning_without_alembic_ini(self, tmp_path):
        settings = stack_settings(tmp_path)
        messages: list[str] = []

        steps = build_stack(
            settings, environ={}, services=(), repo_root=tmp_path, report=messages.append
        )

        assert [step.name for step in steps] == ["kafka", "temporal", "smtp"]
        assert messages == [
            f"warning: {tmp_path / 'alembic.ini'} is missing, database migrations skipped"
        ]


class TestHolds:
    def test_a_part_is_held_while_its_file_is_in_the_hold_folder(self, tmp_path):
        settings = stack_settings(tmp_path / "state")
        prepare_data_dir(settings)
        held = held_parts(settings.hold_dir)

        (settings.hold_dir / "kafka").touch()

        assert held("kafka")
        assert not held("workflows")
        (settings.hold_dir / "kafka").unlink()
        assert not held("kafka")

    def test_a_hold_left_by_an_interrupted_drill_is_lifted_at_the_next_start(self, tmp_path):
        settings = stack_settings(tmp_path / "state")
        prepare_data_dir(settings)
        (settings.hold_dir / "kafka").touch()

        prepare_data_dir(settings)

        assert not held_parts(settings.hold_dir)("kafka")


class TestWelcome:
    """The address list the launcher prints tells how to sign in to the console it started."""

    URLS = {
        "console": "http://127.0.0.1:8004",
        "temporal_ui": "http://127.0.0.1:8233",
        "temporal": "127.0.0.1:7233",
        "kafka": "127.0.0.1:9092",
        "smtp": "127.0.0.1:1025",
    }

    def console_line(self, text: str) -> str:
        return next(line for line in text.splitlines() if "Staff console" in line)

    def test_the_applicant_site_comes_first_with_its_two_forms(self, tmp_path):
        text = welcome(stack_settings(tmp_path), {**self.URLS, "intake": "http://127.0.0.1:8000"})

        first = text.strip().splitlines()[1]
        assert first.split() == [
            "Applicant",
            "site",
            "http://127.0.0.1:8000/",
            "(apply:",
            "/candidater,",
            "/deposer-un-projet)",
        ]

    def test_in_dev_mode_staff_pick_a_role_and_get_the_dev_tokens(self, tmp_path):
        text = welcome(stack_settings(tmp_path), self.URLS)

        assert "(sign in: pick a role)" in self.console_line(text)
        assert "Staff tokens" in text

    def test_under_oidc_staff_sign_in_with_the_identity_provider(self, tmp_path):
        settings = stack_settings(
            tmp_path,
            AUTH_MODE="oidc",
            OIDC_ISSUER="https://idp.example.org/realms/eig",
            OIDC_AUDIENCE="eig",
            OIDC_JWKS_URL="https://idp.example.org/realms/eig/certs",
        )

        text = welcome(settings, self.URLS)

        line = self.console_line(text)
        assert "pick a role" not in line
        assert "identity provider https://idp.example.org/realms/eig" in line
        assert "Staff tokens" not in text
