"""Applicants' private links: one HMAC token per purpose, so no token is stored or sent on Kafka.

A token is ``<version>.<mac>`` where ``mac`` is the URL-safe base64 HMAC-SHA256, keyed by the
link secret of that key version, of ``<purpose>|<dossier id>|<version>`` (docs/adr/0016):

* one token per purpose (read the status, withdraw, answer an offer, confirm the e-mail
  address): a leaked read link cannot withdraw nor answer an offer;
* the key version travels in the token, so the secret can be rotated: links signed with a
  previous secret still open during the grace period (``DOSSIER_LINK_PREVIOUS_SECRETS``).

Any service holding the secrets can build a link (notifications) or check it (intake,
contracts); without them a link cannot be guessed.
"""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from uuid import UUID

MIN_SECRET_BYTES: Final = 32
_HEX: Final = re.compile(r"(?:[0-9a-fA-F]{2})+")
_BASE64: Final = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


class Purpose(StrEnum):
    """What a token lets its holder do: each purpose has its own token."""

    READ = "read"
    """See the dossier's status and timeline."""
    WITHDRAW = "withdraw"
    """Withdraw the dossier (and see it, to confirm the withdrawal on its page)."""
    ANSWER_OFFER = "answer-offer"
    """Accept or decline a contract offer (and see it)."""
    CONFIRM_EMAIL = "confirm-email"
    """Confirm the applicant's e-mail address, which starts the dossier."""


class LinkSecretError(ValueError):
    """A link secret that is not at least 32 random bytes written in hex or base64."""


def parse_secret(value: str) -> bytes:
    """The key bytes of a secret written in hex or base64 (standard or URL-safe alphabet).

    Raises :class:`LinkSecretError` below 32 bytes: a short or typed-in secret would let
    anyone who knows a dossier id forge its links by brute force.
    """
    text = value.strip()
    key: bytes | None = None
    if _HEX.fullmatch(text):
        key = bytes.fromhex(text)
    elif _BASE64.fullmatch(text):
        normalised = text.replace("-", "+").replace("_", "/").rstrip("=")
        try:
            key = base64.b64decode(normalised + "=" * (-len(normalised) % 4), validate=True)
        except binascii.Error:
            key = None
    if key is None:
        raise LinkSecretError("must be written in hex or base64 (e.g. `openssl rand -hex 32`)")
    if len(key) < MIN_SECRET_BYTES:
        raise LinkSecretError(
            f"must hold at least {MIN_SECRET_BYTES} random bytes, it holds {len(key)} "
            "(e.g. `openssl rand -hex 32`)"
        )
    return key


@dataclass(frozen=True)
class LinkKeys:
    """The current key (which signs every new link) and the previous ones (still accepted)."""

    version: int
    keys: Mapping[int, bytes]
    """Key of each accepted version, the current one included."""

    @classmethod
    def single(cls, key: bytes, version: int = 1) -> "LinkKeys":
        return cls(version=version, keys={version: key})

    def token(self, purpose: Purpose, dossier_id: UUID) -> str:
        return f"{self.version}.{_mac(self.keys[self.version], purpose, dossier_id, self.version)}"

    def purpose_of(
        self, dossier_id: UUID, token: str | None, among: Collection[Purpose]
    ) -> Purpose | None:
        """Which of ``among`` the token was made for, or None for any other or wrong token."""
        version, mac = _split(token)
        key = self.keys.get(version) if version is not None else None
        if key is None or version is None:
            return None
        for purpose in among:
            # Compare bytes: compare_digest refuses non-ASCII str, and a token comes from a URL.
            if hmac.compare_digest(_mac(key, purpose, dossier_id, version).encode(), mac):
                return purpose
        return None

    def is_valid(self, purpose: Purpose, dossier_id: UUID, token: str | None) -> bool:
        return self.purpose_of(dossier_id, token, (purpose,)) is not None

    def derived_secret(self, label: str) -> str:
        """A secret of its own for another use (e.g. CSRF), from the current key."""
        return hmac.new(self.keys[self.version], label.encode(), hashlib.sha256).hexdigest()


def _mac(key: bytes, purpose: Purpose, dossier_id: UUID, version: int) -> str:
    message = f"{purpose.value}|{dossier_id}|{version}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _split(token: str | None) -> tuple[int | None, bytes]:
    if not token or token.count(".") != 1:
        return None, b""
    version, mac = token.split(".")
    if not version.isascii() or not version.isdigit() or len(version) > 9:
        return None, b""
    return int(version), mac.encode()


def status_url(base_url: str, keys: LinkKeys, dossier_id: UUID) -> str:
    """The applicant's private status link (read only), as sent by e-mail."""
    return _dossier_url(base_url, dossier_id, keys.token(Purpose.READ, dossier_id))


def withdraw_url(base_url: str, keys: LinkKeys, dossier_id: UUID) -> str:
    """The status page opened with the withdraw token: it offers the withdrawal."""
    return _dossier_url(base_url, dossier_id, keys.token(Purpose.WITHDRAW, dossier_id))


CONFIRM_PATH: Final = "/confirmer"
"""Intake's e-mail address confirmation page, ``/confirmer/{dossier id}?token=…``."""


def confirm_url(base_url: str, keys: LinkKeys, dossier_id: UUID) -> str:
    """The e-mail address confirmation page (its button confirms: a GET never does)."""
    token = keys.token(Purpose.CONFIRM_EMAIL, dossier_id)
    return f"{base_url.rstrip('/')}{CONFIRM_PATH}/{dossier_id}?token={token}"


def _dossier_url(base_url: str, dossier_id: UUID, token: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/dossiers/{dossier_id}?token={token}"
