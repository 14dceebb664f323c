"""The console's OIDC pieces that need no provider: PKCE's challenge, the settings it refuses,
and the discovery document's required endpoints."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.console.oidc import (
    PendingSignIn,
    ProviderMetadata,
    ProviderUnavailable,
    code_challenge,
)
from tests.unit.services.console.conftest import console_settings

OIDC = {
    "AUTH_MODE": "oidc",
    "OIDC_ISSUER": "https://auth.example.gouv.fr",
    "OIDC_AUDIENCE": "eig-console",
    "OIDC_JWKS_URL": "https://auth.example.gouv.fr/jwks",
}


def test_the_s256_challenge_is_rfc_7636_s() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # noqa: S105 - the RFC's example
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_oidc_needs_the_console_s_client(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="OIDC_CLIENT_ID"):
        console_settings(tmp_path, **OIDC)
    assert console_settings(tmp_path, **OIDC, OIDC_CLIENT_ID="eig-console").OIDC_CLIENT_ID


def test_production_wants_an_https_console_and_refuses_the_dev_sign_in(tmp_path: Path) -> None:
    production = {
        **OIDC,
        "ENVIRONMENT": "production",
        "OIDC_CLIENT_ID": "eig-console",
        "CONSOLE_SESSION_SECRET": "a" * 64,
    }
    with pytest.raises(ValidationError, match="CONSOLE_PUBLIC_URL must be https"):
        console_settings(tmp_path, **production)
    with pytest.raises(ValidationError, match="AUTH_MODE must be oidc"):
        console_settings(
            tmp_path,
            **{**production, "AUTH_MODE": "dev", "CONSOLE_PUBLIC_URL": "https://c.example"},
        )
    settings = console_settings(tmp_path, **production, CONSOLE_PUBLIC_URL="https://c.example")
    assert settings.CONSOLE_PUBLIC_URL == "https://c.example"


def test_a_discovery_document_without_an_endpoint_is_refused() -> None:
    with pytest.raises(ProviderUnavailable, match="token_endpoint"):
        ProviderMetadata.from_document(
            {"issuer": "https://x", "authorization_endpoint": "https://x/a", "jwks_uri": "j"}
        )


def test_a_tampered_pending_cookie_reads_as_none() -> None:
    assert PendingSignIn.from_dict({"state": "s"}) is None
    assert PendingSignIn.from_dict(None) is None
