"""deploy/compose.yaml, checked without Docker: no secret written in it, only the public ports
published, the internal listener used, and every platform process given what its settings
class requires in production (docs/adr/0026).

The required settings are derived from the settings classes themselves (fields without a
default, and those whose absence the production validation refuses), so that a new required
setting breaks this test until the Compose file provides it."""

import json
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from libs.config import FILE_SUFFIX, DatabaseSettings, Environment, PlatformSettings
from services.console.settings import ConsoleSettings
from services.contracts.settings import ContractsSettings
from services.intake.settings import IntakeSettings
from services.notifications.settings import NotificationsSettings
from services.selection.settings import SelectionSettings
from workflows.settings import WorkflowsSettings

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
OPERATOR_VALUES = DEPLOY / "compose.env.example"
GENERATE_SECRETS = DEPLOY / "generate-secrets.sh"
SECRETS_MOUNT = "/run/secrets/"

SETTINGS_OF: dict[tuple[str, ...], type[DatabaseSettings]] = {
    ("python", "-m", "alembic", "upgrade", "head"): DatabaseSettings,  # migrations/env.py
    ("python", "-m", "services.intake"): IntakeSettings,
    ("python", "-m", "services.selection"): SelectionSettings,
    ("python", "-m", "services.contracts"): ContractsSettings,
    ("python", "-m", "services.notifications"): NotificationsSettings,
    ("python", "-m", "workflows"): WorkflowsSettings,
    ("python", "-m", "services.console"): ConsoleSettings,
}
"""The settings class each platform command reads."""
PUBLIC_PORT_SETTINGS = {
    "intake": "INTAKE_PORT",
    "contracts": "CONTRACTS_PORT",
    "console": "CONSOLE_PORT",
}
"""The only services published to everyone: the applicant pages (intake, and contracts for the
offers) and the staff console, each on its own public port."""
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|PWD|SECRET|KEY|TOKEN|CREDENTIAL", re.IGNORECASE)
CREDENTIALS_IN_URL = re.compile(r"://[^/\s@:]+:[^/\s@]+@")
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def operator_values() -> dict[str, str]:
    values = {}
    for line in OPERATOR_VALUES.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(value: str, values: Mapping[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}`` (``$$`` is a ``$``)."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if values.get(name):
            return values[name]
        if op and "?" in op:
            pytest.fail(f"${{{name}}} is required ({arg}) and compose.env.example lacks it")
        return arg if op else ""

    return INTERPOLATION.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def platform_services() -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in services().items() if "build" in spec}


def environment_of(spec: Mapping[str, Any]) -> dict[str, str]:
    values = operator_values()
    return {name: interpolate(str(value), values) for name, value in spec["environment"].items()}


def settings_class(spec: Mapping[str, Any]) -> type[DatabaseSettings]:
    command = tuple(spec["command"])
    assert command in SETTINGS_OF, f"{command}: add the settings class it reads to SETTINGS_OF"
    return SETTINGS_OF[command]


@pytest.fixture(scope="module")
def generated_secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What deploy/generate-secrets.sh writes, plus the identity provider's client secret."""
    directory = tmp_path_factory.mktemp("secrets")
    subprocess.run(
        ["/bin/sh", str(GENERATE_SECRETS), str(directory)], check=True, capture_output=True
    )
    (directory / "oidc_client_secret").write_text("given-by-the-identity-provider")
    return directory


def process_environment(spec: Mapping[str, Any], secrets: Path) -> dict[str, str]:
    """The service's environment as its container sees it: each secret it mounts is a file
    (here from the generator), a secret it does not mount is absent."""
    mounted = set(spec.get("secrets", []))
    environment = environment_of(spec)
    for name, value in environment.items():
        if name.endswith(FILE_SUFFIX) and value.startswith(SECRETS_MOUNT):
            secret = value.removeprefix(SECRETS_MOUNT)
            environment[name] = str(secrets / secret if secret in mounted else secrets / "absent")
    return environment


def load(
    cls: type[BaseSettings], environment: Mapping[str, str], monkeypatch: pytest.MonkeyPatch
) -> BaseSettings:
    with monkeypatch.context() as patch:
        for name in list(os.environ):
            patch.delenv(name)
        for name, value in environment.items():
            patch.setenv(name, value)
        return cls(_env_file=None)


def required_settings(
    cls: type[BaseSettings], environment: Mapping[str, str], monkeypatch: pytest.MonkeyPatch
) -> set[str]:
    """Fields without a default, and those the validation refuses to go without in this
    environment: each given setting is taken away in turn."""
    required = {name for name, field in cls.model_fields.items() if field.is_required()}
    for variable in environment:
        setting = variable.removesuffix(FILE_SUFFIX)
        if setting not in cls.model_fields:
            continue
        rest = {name: value for name, value in environment.items() if name != variable}
        try:
            load(cls, rest, monkeypatch)
        except (ValidationError, ValueError):
            required.add(setting)
    return required


def published(spec: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of each ``ports`` entry ("" for all)."""
    entries = []
    for entry in spec.get("ports", []):
        parts = str(entry).split(":")
        host_ip = parts[0] if len(parts) == 3 else ""
        entries.append((host_ip, parts[-2], parts[-1]))
    return entries


class TestSecrets:
    def test_no_password_key_or_token_is_written_in_the_file(self) -> None:
        declared = compose()["secrets"]
        for service, spec in services().items():
            environment = spec.get("environment", {})
            mounted = set(spec.get("secrets", []))
            for name, value in environment.items():
                if not SECRET_NAME.search(name):
                    continue
                where = f"{service}: {name}={value}"
                assert name.endswith(FILE_SUFFIX), f"{where}: give it as {name}_FILE, a secret"
                secret = str(value).removeprefix(SECRETS_MOUNT)
                assert str(value) == SECRETS_MOUNT + secret, f"{where}: not under {SECRETS_MOUNT}"
                assert secret in declared, f"{where}: {secret} is not a declared secret"
                assert secret in mounted, f"{where}: {service} does not mount {secret}"

    def test_no_url_carries_credentials(self) -> None:
        found = CREDENTIALS_IN_URL.findall(COMPOSE.read_text())
        assert not found, f"credentials written in URLs: {found}"

    def test_secrets_are_files_that_git_and_the_image_ignore(self) -> None:
        declared = compose()["secrets"]
        for name, spec in declared.items():
            assert spec == {"file": f"./secrets/{name}"}, name
        for path in ("deploy/secrets/database_url", "deploy/.env"):
            ignored = subprocess.run(
                ["git", "check-ignore", "-q", path],
                cwd=ROOT,
                check=False,
            )
            assert ignored.returncode == 0, f"{path} must be gitignored"
        dockerignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
        assert {"deploy/secrets", "deploy/.env"} <= set(dockerignore)

    def test_every_mounted_secret_is_read(self) -> None:
        for service, spec in services().items():
            text = json.dumps({key: spec.get(key) for key in ("environment", "command")})
            for secret in spec.get("secrets", []):
                assert SECRETS_MOUNT + secret in text, f"{service} mounts {secret} unused"


class TestPorts:
    def test_only_the_public_listeners_are_published_to_everyone(self) -> None:
        open_to_all = {
            service: [(host, container) for ip, host, container in published(spec) if ip == ""]
            for service, spec in services().items()
            if any(ip == "" for ip, _, _ in published(spec))
        }
        expected = {}
        for service, setting in PUBLIC_PORT_SETTINGS.items():
            cls = settings_class(services()[service])
            port = str(cls.model_fields[setting].default)
            expected[service] = [(port, port)]
        assert open_to_all == expected

    def test_every_other_published_port_is_on_loopback_only(self) -> None:
        for service, spec in services().items():
            for ip, host, container in published(spec):
                assert ip in {"", "127.0.0.1"}, f"{service}: {ip}:{host}:{container}"

    def test_operations_are_read_on_the_internal_port_never_published(self) -> None:
        ports = {
            int(environment_of(spec)["INTERNAL_PORT"]) for spec in platform_services().values()
        }
        assert len(ports) == 1
        (internal,) = ports
        for service, spec in platform_services().items():
            assert str(internal) not in {host for _, host, _ in published(spec)}, service
        urls = json.loads(environment_of(services()["selection"])["SERVICE_URLS"])
        long_running = set(platform_services()) - {"migrate"}
        assert urls == {name: f"http://{name}:{internal}" for name in long_running}
        scraped = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
        targets = {
            target
            for config in scraped["scrape_configs"]
            for group in config["static_configs"]
            for target in group["targets"]
        }
        assert targets == {f"{name}:{internal}" for name in long_running}


@pytest.mark.parametrize("service", sorted(platform_services()))
class TestProductionSettings:
    def test_every_required_setting_is_provided(
        self, service: str, generated_secrets: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        spec = platform_services()[service]
        cls = settings_class(spec)
        environment = process_environment(spec, generated_secrets)

        try:
            settings = load(cls, environment, monkeypatch)
        except (ValidationError, ValueError) as error:
            pytest.fail(f"{service} would not start with compose.yaml's environment: {error}")

        required = required_settings(cls, environment, monkeypatch)
        provided = {name.removesuffix(FILE_SUFFIX) for name in environment}
        assert required <= provided, f"{service} lacks {sorted(required - provided)}"
        if isinstance(settings, PlatformSettings):
            assert settings.ENVIRONMENT == Environment.PRODUCTION
            assert settings.INTERNAL_PORT is not None
            assert {"AUTH_MODE", "OIDC_ISSUER"} <= required  # production refuses dev tokens
            if type(settings).LINKS_SIGNED:
                assert "DOSSIER_LINK_SECRET" in required
                assert settings.link_keys.keys  # from the generated secret
