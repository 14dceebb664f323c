from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr, ValidationError

from libs.config import AuthMode, DatabaseSettings, Environment, PlatformSettings
from libs.database import async_url, is_sqlite

SECRET = SecretStr(bytes(range(32)).hex())
OIDC: dict[str, Any] = {
    "AUTH_MODE": AuthMode.OIDC,
    "OIDC_ISSUER": "https://auth.example.gouv.fr",
    "OIDC_AUDIENCE": "eig",
    "OIDC_JWKS_URL": "https://auth.example.gouv.fr/jwks",
}


class LinkSigningSettings(PlatformSettings):
    """A service that builds or checks private links, listening on ``APP_HOST``."""

    LINKS_SIGNED: ClassVar[bool] = True
    LISTEN_HOST_SETTING: ClassVar[str | None] = "APP_HOST"
    APP_HOST: str = "127.0.0.1"


class TestPlatformSettings:
    def test_production_is_the_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("ENVIRONMENT", raising=False)
        assert PlatformSettings(_env_file=None, **OIDC).ENVIRONMENT == Environment.PRODUCTION

    def test_production_refuses_to_start_without_a_link_secret(self) -> None:
        with pytest.raises(ValidationError, match="DOSSIER_LINK_SECRET is required"):
            LinkSigningSettings(ENVIRONMENT=Environment.PRODUCTION, **OIDC)

    @pytest.mark.parametrize("secret", ["s3cr3t-value", "ab" * 31])
    def test_production_refuses_a_short_secret(self, secret: str) -> None:
        with pytest.raises(ValidationError, match="DOSSIER_LINK_SECRET must"):
            LinkSigningSettings(
                ENVIRONMENT=Environment.PRODUCTION, DOSSIER_LINK_SECRET=SecretStr(secret), **OIDC
            )

    def test_production_accepts_a_real_secret(self) -> None:
        settings = LinkSigningSettings(
            ENVIRONMENT=Environment.PRODUCTION, DOSSIER_LINK_SECRET=SECRET, **OIDC
        )
        assert settings.link_keys.keys == {1: bytes(range(32))}

    @pytest.mark.parametrize("environment", [Environment.DEVELOPMENT, Environment.TEST])
    def test_development_and_test_on_loopback_need_no_secret(
        self, environment: Environment
    ) -> None:
        settings = LinkSigningSettings(ENVIRONMENT=environment, APP_HOST="127.0.0.1")
        assert settings.link_keys.version == 1

    def test_development_on_a_public_address_needs_a_secret(self) -> None:
        with pytest.raises(ValidationError, match="APP_HOST=0.0.0.0"):
            LinkSigningSettings(ENVIRONMENT=Environment.DEVELOPMENT, APP_HOST="0.0.0.0")

    def test_services_without_links_need_no_secret(self) -> None:
        settings = PlatformSettings(ENVIRONMENT=Environment.PRODUCTION, **OIDC)
        assert settings.DOSSIER_LINK_SECRET is None

    def test_previous_secrets_are_accepted_during_a_rotation(self) -> None:
        old = bytes(range(100, 132))
        settings = LinkSigningSettings(
            ENVIRONMENT=Environment.PRODUCTION,
            DOSSIER_LINK_SECRET=SECRET,
            DOSSIER_LINK_KEY_VERSION=2,
            DOSSIER_LINK_PREVIOUS_SECRETS={1: SecretStr(old.hex())},
            **OIDC,
        )
        assert settings.link_keys.version == 2
        assert settings.link_keys.keys == {2: bytes(range(32)), 1: old}

    def test_a_weak_previous_secret_is_named(self) -> None:
        with pytest.raises(ValidationError, match=r"DOSSIER_LINK_PREVIOUS_SECRETS\[1\] must"):
            LinkSigningSettings(
                ENVIRONMENT=Environment.PRODUCTION,
                DOSSIER_LINK_SECRET=SECRET,
                DOSSIER_LINK_KEY_VERSION=2,
                DOSSIER_LINK_PREVIOUS_SECRETS={1: SecretStr("old")},
                **OIDC,
            )

    def test_the_previous_secrets_cannot_hold_the_current_version(self) -> None:
        with pytest.raises(ValidationError, match="DOSSIER_LINK_KEY_VERSION"):
            LinkSigningSettings(
                ENVIRONMENT=Environment.PRODUCTION,
                DOSSIER_LINK_SECRET=SECRET,
                DOSSIER_LINK_PREVIOUS_SECRETS={1: SECRET},
                **OIDC,
            )

    def test_production_refuses_development_tokens(self) -> None:
        with pytest.raises(ValidationError, match="AUTH_MODE"):
            PlatformSettings(ENVIRONMENT=Environment.PRODUCTION, DOSSIER_LINK_SECRET=SECRET)

    def test_oidc_needs_its_issuer_audience_and_keys(self) -> None:
        with pytest.raises(ValidationError, match="OIDC_ISSUER"):
            PlatformSettings(AUTH_MODE=AuthMode.OIDC)

    def test_settings_come_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
        monkeypatch.setenv("DATABASE_URL", "postgresql://eig@db/eig")
        settings = PlatformSettings()
        assert settings.KAFKA_BOOTSTRAP_SERVERS == "kafka-1:9092,kafka-2:9092"
        assert settings.DATABASE_URL == "postgresql://eig@db/eig"


class TestSettingsFromFiles:
    """``<NAME>_FILE``: the setting read from a file (Compose secrets, docs/adr/0026)."""

    def test_a_secret_comes_from_the_file_its_variable_names(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        (tmp_path / "link").write_text(SECRET.get_secret_value() + "\n")
        monkeypatch.setenv("DOSSIER_LINK_SECRET_FILE", str(tmp_path / "link"))
        settings = LinkSigningSettings(_env_file=None, ENVIRONMENT=Environment.PRODUCTION, **OIDC)
        assert settings.link_keys.keys == {1: bytes(range(32))}  # the newline dropped

    def test_migrations_read_the_database_url_from_a_file(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        (tmp_path / "url").write_text("postgresql://eig:pw@db/eig")
        monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "url"))
        assert DatabaseSettings(_env_file=None).DATABASE_URL == "postgresql://eig:pw@db/eig"

    def test_a_structured_setting_is_json_in_its_file(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        (tmp_path / "previous").write_text('{"1": "%s"}' % ("cd" * 32))
        monkeypatch.setenv("DOSSIER_LINK_PREVIOUS_SECRETS_FILE", str(tmp_path / "previous"))
        settings = PlatformSettings(_env_file=None, DOSSIER_LINK_KEY_VERSION=2)
        assert settings.DOSSIER_LINK_PREVIOUS_SECRETS[1].get_secret_value() == "cd" * 32

    def test_a_missing_file_is_named(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "absent"))
        with pytest.raises(ValueError, match="DATABASE_URL_FILE=.*absent: cannot read it"):
            DatabaseSettings(_env_file=None)

    def test_the_variable_and_its_file_together_are_refused(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        (tmp_path / "url").write_text("postgresql://eig:pw@db/eig")
        monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "url"))
        monkeypatch.setenv("DATABASE_URL", "postgresql://eig:other@db/eig")
        with pytest.raises(ValueError, match="DATABASE_URL and DATABASE_URL_FILE are both set"):
            DatabaseSettings(_env_file=None)


class TestDatabaseUrls:
    def test_plain_urls_get_async_drivers(self) -> None:
        assert async_url("sqlite:///.eig/eig.db") == "sqlite+aiosqlite:///.eig/eig.db"
        assert async_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
        assert is_sqlite("sqlite:///x.db") and not is_sqlite("postgresql://h/db")

    def test_an_unsupported_database_is_refused_by_name(self) -> None:
        with pytest.raises(ValueError, match="DATABASE_URL"):
            async_url("mysql://h/db")
