from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from libs.dossier_links import access_token, is_valid_token, status_url


class TestDossierLinks:
    def test_the_link_carries_a_token_that_validates(self) -> None:
        dossier_id = uuid4()
        url = status_url("http://127.0.0.1:8000/", "secret", dossier_id)
        token = url.split("token=")[1]
        assert url.startswith(f"http://127.0.0.1:8000/api/v1/dossiers/{dossier_id}?token=")
        assert is_valid_token("secret", dossier_id, token)

    def test_a_token_does_not_open_another_dossier(self) -> None:
        assert not is_valid_token("secret", uuid4(), access_token("secret", uuid4()))

    def test_another_secret_gives_another_token(self) -> None:
        dossier_id = uuid4()
        assert access_token("a", dossier_id) != access_token("b", dossier_id)

    def test_a_missing_token_is_refused(self) -> None:
        assert not is_valid_token("secret", uuid4(), None)
        assert not is_valid_token("secret", uuid4(), "")

    @given(st.text(max_size=60))
    def test_no_guessed_token_opens_a_dossier(self, guess: str) -> None:
        assert not is_valid_token("secret", uuid4(), guess)
