import pytest
from pydantic import SecretStr, ValidationError

from libs.config import AuthMode, Environment, PlatformSettings
from libs.database import async_url, is_sqlite


class TestPlatformSettings:
    def test_production_refuses_the_development_link_secret(self) -> None:
        with pytest.raises(ValidationError, match="DOSSIER_LINK_SECRET"):
            PlatformSettings(ENVIRONMENT=Environment.PRODUCTION)

    def test_production_accepts_a_real_secret(self) -> None:
        settings = PlatformSettings(
            ENVIRONMENT=Environment.PRODUCTION,
            DOSSIER_LINK_SECRET=SecretStr("s3cr3t-value"),
            AUTH_MODE=AuthMode.OIDC,
            OIDC_ISSUER="https://auth.example.gouv.fr",
            OIDC_AUDIENCE="eig",
            OIDC_JWKS_URL="https://auth.example.gouv.fr/jwks",
        )
        assert settings.ENVIRONMENT == Environment.PRODUCTION

    def test_production_refuses_development_tokens(self) -> None:
        with pytest.raises(ValidationError, match="AUTH_MODE"):
            PlatformSettings(
                ENVIRONMENT=Environment.PRODUCTION, DOSSIER_LINK_SECRET=SecretStr("s3cr3t-value")
            )

    def test_oidc_needs_its_issuer_audience_and_keys(self) -> None:
        with pytest.raises(ValidationError, match="OIDC_ISSUER"):
            PlatformSettings(AUTH_MODE=AuthMode.OIDC)

    def test_settings_come_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
        monkeypatch.setenv("DATABASE_URL", "postgresql://eig@db/eig")
        settings = PlatformSettings()
        assert settings.KAFKA_BOOTSTRAP_SERVERS == "kafka-1:9092,kafka-2:9092"
        assert settings.DATABASE_URL == "postgresql://eig@db/eig"


class TestDatabaseUrls:
    def test_plain_urls_get_async_drivers(self) -> None:
        assert async_url("sqlite:///.eig/eig.db") == "sqlite+aiosqlite:///.eig/eig.db"
        assert async_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
        assert is_sqlite("sqlite:///x.db") and not is_sqlite("postgresql://h/db")

    def test_an_unsupported_database_is_refused_by_name(self) -> None:
        with pytest.raises(ValueError, match="DATABASE_URL"):
            async_url("mysql://h/db")
