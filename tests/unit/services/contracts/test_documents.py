"""The contract document: one model, rendered as HTML and PDF, French first, amounts in full."""

import io
import uuid
from decimal import Decimal

import httpx
import pytest
from pypdf import PdfReader

from libs.messages.common import Language
from libs.messages.contract_events import ContractStatus
from services.contracts.bootstrap import Contracts
from services.contracts.documents import contract_document, euros, percent, render_html, render_pdf
from tests.html_forms import same_page
from tests.unit.services.contracts.conftest import FakeContractWorkflows, bearer, link_token, seed
from tests.unit.services.contracts.events import terms

FRENCH_AMOUNTS = ("4 250,00 €", "51 000,00 €", "3 060,00 €")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


class TestWording:
    @pytest.mark.parametrize(
        ("amount", "french", "english"),
        [
            (Decimal("4250"), "4 250,00 €", "€4,250.00"),
            (Decimal("60000.00"), "60 000,00 €", "€60,000.00"),
            (Decimal("3060.005"), "3 060,01 €", "€3,060.01"),
            (Decimal("999.5"), "999,50 €", "€999.50"),
        ],
    )
    def test_amounts_read_in_each_language(
        self, amount: Decimal, french: str, english: str
    ) -> None:
        assert euros(Language.FR, amount) == french
        assert euros(Language.EN, amount) == english

    def test_percentages_drop_trailing_zeros(self) -> None:
        assert percent(Language.FR, Decimal("6.00")) == "6 %"
        assert percent(Language.FR, Decimal("10")) == "10 %"
        assert percent(Language.EN, Decimal("6.5")) == "6.5%"


class TestDocument:
    def test_the_french_section_comes_first_and_states_every_term(self) -> None:
        document = contract_document(terms(), ContractStatus.SIGNED)

        french, english = document.sections
        assert (french.language, english.language) == (Language.FR, Language.EN)
        lines = {line.label: line.value for line in french.lines}
        assert lines["Numéro du contrat"] == "EIG-7-0001"
        assert lines["Version"] == "1"
        assert lines["Entrepreneur d'intérêt général"] == "Camille Martin"
        assert lines["Rôle"] == "Directeur ou directrice technique"
        assert lines["Administration d'accueil"] == "Direction générale des Finances publiques"
        assert lines["Projet"] == "Signalement simplifié"
        assert lines["Durée"] == "12 mois"
        assert (lines["Date de début"], lines["Date de fin"]) == ("1er avril 2026", "31 mars 2027")
        assert lines["Rémunération mensuelle nette"] == "4 250,00 €"
        assert lines["Rémunération annuelle fixe nette"] == "51 000,00 €"
        assert lines["Part variable annuelle maximale"] == (
            "3 060,00 € (6 % de la rémunération annuelle fixe)"
        )
        assert lines["Grille de rémunération"] == "7.1"
        # The band by its name, not its code.
        assert (
            lines["Expérience professionnelle"] == "8 ans (tranche : jusqu’à 10 ans d’expérience)"
        )
        assert lines["Statut"] == "Contrat signé"
        english_lines = {line.label: line.value for line in english.lines}
        assert english_lines["Monthly net pay"] == "€4,250.00"
        assert english_lines["Status"] == "Contract signed"
        assert english_lines["Professional experience"] == (
            "8 years (band: up to 10 years of experience)"
        )

    def test_the_html_says_it_all_in_french_then_english(self) -> None:
        html = render_html(contract_document(terms(), ContractStatus.SIGNED))

        for text in (*FRENCH_AMOUNTS, "EIG-7-0001", "6 %", "Contrat signé", "€4,250.00"):
            assert text in html, text
        assert html.index('lang="fr"') < html.index('lang="en"')
        assert html.index("Rémunération mensuelle nette") < html.index("Monthly net pay")

    def test_the_html_escapes_what_it_is_given(self) -> None:
        html = render_html(
            contract_document(terms(project_title="<script>x</script>"), ContractStatus.SIGNED)
        )

        assert "<script>x</script>" not in html
        assert "&lt;script&gt;" in html

    def test_the_pdf_text_holds_the_number_the_amounts_and_the_accents(self) -> None:
        content = render_pdf(contract_document(terms(), ContractStatus.SIGNED))

        assert content.startswith(b"%PDF")
        text = pdf_text(content)
        for expected in (
            *FRENCH_AMOUNTS,
            "EIG-7-0001",
            "Rémunération mensuelle nette",
            "Direction générale des Finances publiques",
            "1er avril 2026",
            "€4,250.00",
        ):
            assert expected in text, expected
        assert text.index("Contrat de projet EIG") < text.index("EIG project contract")

    def test_the_higher_band_reads_its_own_amounts(self) -> None:
        text = pdf_text(
            render_pdf(
                contract_document(terms(band="over_10_years", years=12), ContractStatus.ACTIVE)
            )
        )

        for expected in ("5 000,00 €", "60 000,00 €", "6 000,00 €", "10 %", "12 ans"):
            assert expected in text, expected


class TestDocumentEndpoints:
    @pytest.mark.parametrize("role", ["evaluator", "jury"])
    async def test_evaluators_and_the_jury_cannot_read_a_contract_document(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts, role: str
    ) -> None:
        story = await seed(contracts, ContractStatus.DRAFTED)

        for extension in ("html", "pdf"):
            response = await client.get(
                f"/api/v1/contracts/{story.contract_id}/document.{extension}",
                headers=bearer(tokens, role),
            )
            assert response.status_code == 403, extension

    async def test_staff_get_the_pdf_with_their_bearer_token(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts
    ) -> None:
        story = await seed(contracts, ContractStatus.DRAFTED)

        response = await client.get(
            f"/api/v1/contracts/{story.contract_id}/document.pdf",
            headers=bearer(tokens, "staff"),
        )

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert 'filename="EIG-7-0001-v1.pdf"' in response.headers["content-disposition"]
        assert response.headers["cache-control"] == "no-store"
        assert "4 250,00 €" in pdf_text(response.content)

    async def test_the_eig_gets_both_documents_through_their_private_link(
        self, client: httpx.AsyncClient, contracts: Contracts
    ) -> None:
        story = await seed(contracts)
        token = link_token(contracts, story)

        html = await client.get(
            f"/api/v1/contracts/{story.contract_id}/document.html", params={"token": token}
        )
        pdf = await client.get(
            f"/api/v1/contracts/{story.contract_id}/document.pdf", params={"token": token}
        )

        assert (html.status_code, pdf.status_code) == (200, 200)
        assert "51 000,00 €" in html.text
        assert "Offre envoyée" in html.text
        assert "EIG-7-0001" in pdf_text(pdf.content)

    async def test_the_status_shown_is_the_workflows(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.SIGNED, [])

        html = await client.get(
            f"/api/v1/contracts/{story.contract_id}/document.html",
            params={"token": link_token(contracts, story)},
        )

        assert "Contrat signé" in html.text

    @pytest.mark.parametrize("extension", ["html", "pdf"])
    async def test_a_wrong_link_an_unknown_contract_and_a_draft_are_all_not_found(
        self, client: httpx.AsyncClient, contracts: Contracts, extension: str
    ) -> None:
        offered = await seed(contracts)
        drafted = await seed(contracts, ContractStatus.DRAFTED)

        answers = [
            await client.get(
                f"/api/v1/contracts/{contract_id}/document.{extension}", params={"token": token}
            )
            for contract_id, token in [
                (offered.contract_id, link_token(contracts, drafted)),
                (offered.contract_id, ""),
                (uuid.uuid4(), link_token(contracts, offered)),
                ("not-a-uuid", link_token(contracts, offered)),
                (drafted.contract_id, link_token(contracts, drafted)),
            ]
        ]

        assert [answer.status_code for answer in answers] == [404] * 5
        assert len({same_page(answer.content) for answer in answers}) == 1

    async def test_without_a_link_or_a_bearer_token_a_document_is_unauthorized(
        self, client: httpx.AsyncClient, contracts: Contracts
    ) -> None:
        story = await seed(contracts)

        response = await client.get(f"/api/v1/contracts/{story.contract_id}/document.pdf")

        assert response.status_code == 401
