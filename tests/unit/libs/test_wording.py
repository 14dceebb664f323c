from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from libs.messages.common import DossierKind, Language, Role
from libs.messages.contract_events import ContractStatus
from libs.messages.dossier_events import DossierStatus
from libs.wording import (
    CONTRACT_STATUS_LABELS,
    DOSSIER_STATUS_LABELS,
    KIND_LABELS,
    NBSP,
    ROLE_LABELS,
    Label,
    amount_in_euros,
    contract_status_label,
    date_and_time,
    dossier_status_label,
    long_date,
    months,
    parse_day,
    percent,
    role_label,
)


class TestLongDate:
    @pytest.mark.parametrize(
        ("day", "french", "english"),
        [
            (date(2025, 3, 12), "12 mars 2025", "12 March 2025"),
            (date(2025, 4, 1), "1er avril 2025", "1 April 2025"),
            (date(2025, 8, 15), "15 août 2025", "15 August 2025"),
            (date(2025, 12, 31), "31 décembre 2025", "31 December 2025"),
        ],
    )
    def test_a_day_is_written_out_as_in_a_letter(
        self, day: date, french: str, english: str
    ) -> None:
        assert long_date(Language.FR, day) == french
        assert long_date(Language.EN, day) == english


class TestDateAndTime:
    @pytest.mark.parametrize(
        ("moment", "french", "english"),
        [
            (
                datetime(2025, 1, 10, 9, 5, tzinfo=UTC),
                "10 janvier 2025 à 10 h 05 (heure de Paris)",
                "10 January 2025 at 10:05 (Paris time)",
            ),
            (
                datetime(2025, 7, 10, 22, 30, tzinfo=UTC),  # summer time: already the 11th
                "11 juillet 2025 à 00 h 30 (heure de Paris)",
                "11 July 2025 at 00:30 (Paris time)",
            ),
        ],
    )
    def test_a_moment_is_read_in_paris(self, moment: datetime, french: str, english: str) -> None:
        assert date_and_time(Language.FR, moment) == french
        assert date_and_time(Language.EN, moment) == english


class TestParseDay:
    @pytest.mark.parametrize(
        ("text", "day"),
        [
            ("2025-03-12", date(2025, 3, 12)),
            ("2025-03-12T23:30:00", date(2025, 3, 12)),  # no zone: already Paris time
            ("2025-03-31T22:30:00+00:00", date(2025, 4, 1)),
            ("2025-03-31T22:30:00Z", date(2025, 4, 1)),
            (" 2025-03-12 ", date(2025, 3, 12)),
        ],
    )
    def test_an_iso_date_or_date_time_gives_the_day_in_paris(self, text: str, day: date) -> None:
        assert parse_day(text) == day

    def test_an_offset_far_from_paris_still_gives_the_paris_day(self) -> None:
        moment = datetime(2025, 3, 12, 20, 0, tzinfo=timezone(timedelta(hours=-10)))

        assert parse_day(moment.isoformat()) == date(2025, 3, 13)

    @pytest.mark.parametrize("text", ["", "next Tuesday", "12/03/2025", "2025-13-01"])
    def test_anything_else_gives_none(self, text: str) -> None:
        assert parse_day(text) is None


class TestLabels:
    @pytest.mark.parametrize(
        ("labels", "codes"),
        [
            (ROLE_LABELS, Role),
            (KIND_LABELS, DossierKind),
            (DOSSIER_STATUS_LABELS, DossierStatus),
            (CONTRACT_STATUS_LABELS, ContractStatus),
        ],
    )
    def test_every_code_has_a_name_in_each_language(
        self, labels: dict[str, Label], codes: type[Role]
    ) -> None:
        assert set(labels) == set(codes)
        assert all(label.fr and label.en for label in labels.values())

    def test_a_role_reads_as_a_label_or_in_a_sentence(self) -> None:
        assert (
            role_label(Language.FR, Role.PRODUCT_DIRECTOR) == "Directeur ou directrice de produit"
        )
        assert role_label(Language.EN, "technical_director") == "Technical director"
        assert (
            role_label(Language.FR, Role.TECHNICAL_DIRECTOR, in_sentence=True)
            == "directeur ou directrice technique"
        )
        assert role_label(Language.EN, Role.PRODUCT_DIRECTOR, in_sentence=True) == (
            "product director"
        )

    def test_a_status_reads_in_each_language(self) -> None:
        assert dossier_status_label(Language.FR, DossierStatus.IN_POOL) == "Dans le vivier"
        assert contract_status_label(Language.EN, ContractStatus.OFFER_SENT) == "Offer sent"

    def test_an_unknown_code_is_shown_by_itself_rather_than_failing(self) -> None:
        assert role_label(Language.FR, "data_scientist") == "data_scientist"
        assert dossier_status_label(Language.EN, "archived", in_sentence=True) == "archived"


class TestAmountInEuros:
    @pytest.mark.parametrize(
        ("amount", "french", "english"),
        [
            (Decimal("4250"), "4 250,00 €", "€4,250.00"),
            (Decimal("51000.00"), "51 000,00 €", "€51,000.00"),
            (Decimal("3060"), "3 060,00 €", "€3,060.00"),
            (Decimal("5000"), "5 000,00 €", "€5,000.00"),
            (Decimal("999.5"), "999,50 €", "€999.50"),
            (Decimal("1234567.891"), "1 234 567,89 €", "€1,234,567.89"),
            (Decimal("0.005"), "0,01 €", "€0.01"),  # half up, as on a pay slip
        ],
    )
    def test_it_is_written_with_cents_and_grouped_thousands(
        self, amount: Decimal, french: str, english: str
    ) -> None:
        # French: no-break spaces, so an amount never wraps between its digits and the sign.
        assert amount_in_euros(Language.FR, amount) == french.replace(" ", NBSP)
        assert amount_in_euros(Language.EN, amount) == english


class TestPercentAndMonths:
    @pytest.mark.parametrize(
        ("value", "french", "english"),
        [
            (Decimal("6"), "6 %", "6%"),
            (Decimal("10.00"), "10 %", "10%"),
            (Decimal("6.5"), "6,5 %", "6.5%"),
        ],
    )
    def test_a_percentage_shows_decimals_only_when_it_has_some(
        self, value: Decimal, french: str, english: str
    ) -> None:
        assert percent(Language.FR, value) == french.replace(" ", NBSP)
        assert percent(Language.EN, value) == english

    @pytest.mark.parametrize(
        ("count", "french", "english"),
        [(12, "12 mois", "12 months"), (10, "10 mois", "10 months"), (1, "1 mois", "1 month")],
    )
    def test_a_term_is_counted_in_months(self, count: int, french: str, english: str) -> None:
        assert months(Language.FR, count) == french
        assert months(Language.EN, count) == english
