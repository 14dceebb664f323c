"""The test OIDC provider (tests/oidc_provider.py) with the console's staff members: one
per module that asks for it."""

from collections.abc import AsyncIterator

import pytest

from tests.oidc_provider import OidcProvider, oidc_provider


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[OidcProvider]:
    async with oidc_provider() as provider:
        await provider.add_user(
            "camille",
            email="camille.martin@numerique.gouv.fr",
            given_name="Camille",
            usual_name="Martin",
            roles=["staff"],
        )
        await provider.add_user("sans-role", email="dominique@numerique.gouv.fr", roles=[])
        await provider.add_user("roles-casses", email="x@numerique.gouv.fr", roles={"admin": 1})
        yield provider
