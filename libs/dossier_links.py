"""Applicants' private links: an HMAC of the dossier id, so no token is stored or sent on Kafka.

Any service holding ``DOSSIER_LINK_SECRET`` can build the link (notifications) or check it
(intake); without the secret a link cannot be guessed.
"""

import base64
import hashlib
import hmac
from uuid import UUID


def access_token(secret: str, dossier_id: UUID) -> str:
    digest = hmac.new(secret.encode(), str(dossier_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def is_valid_token(secret: str, dossier_id: UUID, token: str | None) -> bool:
    if not token:
        return False
    # Compare bytes: compare_digest refuses non-ASCII str, and a token comes from a URL.
    return hmac.compare_digest(access_token(secret, dossier_id).encode(), token.encode())


def status_url(base_url: str, secret: str, dossier_id: UUID) -> str:
    """The applicant's private status link, as sent by e-mail and returned at submission."""
    token = access_token(secret, dossier_id)
    return f"{base_url.rstrip('/')}/api/v1/dossiers/{dossier_id}?token={token}"
