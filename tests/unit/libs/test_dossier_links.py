from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.dossier_links import (
    LinkKeys,
    LinkSecretError,
    Purpose,
    parse_secret,
    status_url,
    withdraw_url,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
KEYS = LinkKeys.single(KEY)


class TestTokens:
    def test_the_status_link_carries_a_read_token_that_validates(self) -> None:
        dossier_id = uuid4()
        url = status_url("http://127.0.0.1:8000/", KEYS, dossier_id)
        token = url.split("token=")[1]
        assert url.startswith(f"http://127.0.0.1:8000/api/v1/dossiers/{dossier_id}?token=")
        assert KEYS.is_valid(Purpose.READ, dossier_id, token)

    def test_a_read_token_cannot_withdraw_nor_answer_an_offer(self) -> None:
        dossier_id = uuid4()
        token = KEYS.token(Purpose.READ, dossier_id)
        assert not KEYS.is_valid(Purpose.WITHDRAW, dossier_id, token)
        assert not KEYS.is_valid(Purpose.ANSWER_OFFER, dossier_id, token)
        assert not KEYS.is_valid(Purpose.CONFIRM_EMAIL, dossier_id, token)

    def test_each_purpose_has_its_own_token(self) -> None:
        dossier_id = uuid4()
        tokens = {KEYS.token(purpose, dossier_id) for purpose in Purpose}
        assert len(tokens) == len(Purpose)

    def test_the_withdraw_link_is_recognised_as_such_among_several_purposes(self) -> None:
        dossier_id = uuid4()
        token = withdraw_url("https://x", KEYS, dossier_id).split("token=")[1]
        assert KEYS.purpose_of(dossier_id, token, (Purpose.READ, Purpose.WITHDRAW)) == (
            Purpose.WITHDRAW
        )

    def test_a_token_does_not_open_another_dossier(self) -> None:
        assert not KEYS.is_valid(Purpose.READ, uuid4(), KEYS.token(Purpose.READ, uuid4()))

    def test_another_secret_gives_another_token(self) -> None:
        dossier_id = uuid4()
        other = LinkKeys.single(OTHER_KEY)
        assert KEYS.token(Purpose.READ, dossier_id) != other.token(Purpose.READ, dossier_id)
        assert not other.is_valid(Purpose.READ, dossier_id, KEYS.token(Purpose.READ, dossier_id))

    def test_a_missing_token_is_refused(self) -> None:
        assert not KEYS.is_valid(Purpose.READ, uuid4(), None)
        assert not KEYS.is_valid(Purpose.READ, uuid4(), "")

    @given(st.text(max_size=60))
    def test_no_guessed_token_opens_a_dossier(self, guess: str) -> None:
        assert not KEYS.is_valid(Purpose.READ, uuid4(), guess)


class TestRotation:
    def test_a_link_of_the_previous_secret_still_opens_during_the_grace_period(self) -> None:
        dossier_id = uuid4()
        old_token = LinkKeys.single(KEY, version=1).token(Purpose.READ, dossier_id)
        rotated = LinkKeys(version=2, keys={2: OTHER_KEY, 1: KEY})
        assert rotated.is_valid(Purpose.READ, dossier_id, old_token)
        assert rotated.token(Purpose.READ, dossier_id).startswith("2.")

    def test_a_link_of_a_retired_secret_no_longer_opens(self) -> None:
        dossier_id = uuid4()
        old_token = LinkKeys.single(KEY, version=1).token(Purpose.READ, dossier_id)
        assert not LinkKeys.single(OTHER_KEY, version=2).is_valid(
            Purpose.READ, dossier_id, old_token
        )

    def test_a_token_claiming_another_version_does_not_validate(self) -> None:
        dossier_id = uuid4()
        rotated = LinkKeys(version=2, keys={2: OTHER_KEY, 1: KEY})
        mac = rotated.token(Purpose.READ, dossier_id).split(".")[1]
        assert not rotated.is_valid(Purpose.READ, dossier_id, f"1.{mac}")


class TestSecrets:
    def test_hex_and_base64_of_32_bytes_are_accepted(self) -> None:
        assert parse_secret(KEY.hex()) == KEY
        assert parse_secret("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") == KEY
        assert parse_secret("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8") == KEY

    @pytest.mark.parametrize(
        "secret", ["s3cr3t-value", "00" * 31, "change me please", "AAECAwQFBgcICQoLDA0ODxAREhM="]
    )
    def test_short_or_typed_in_secrets_are_refused(self, secret: str) -> None:
        with pytest.raises(LinkSecretError):
            parse_secret(secret)
