"""The contract e-mails: which event sends which e-mail to whom, and what each says in both
languages (amounts, dates, links)."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from libs.dossier_links import Purpose
from libs.messages.common import Language
from libs.messages.contract_events import ContractEvent, ContractStatus, ContractStatusChanged
from libs.wording import NBSP
from services.notifications.addressing import Audience
from services.notifications.application_emails import APPLICATION_TEMPLATES
from services.notifications.contract_emails import (
    CONTRACT_TEMPLATES,
    DECLINED,
    ENDED,
    MISSION_LETTER,
    NOT_RENEWED,
    OFFER,
    OFFER_EXPIRED,
    OFFER_REMINDER,
    RENEWAL_DUE,
    RENEWED,
    SIGNED,
    STATUS_EMAILS,
    ContractEmailRenderer,
    ContractEmailTemplate,
    templates_for,
)
from services.notifications.rendering import TEMPLATE_DIRECTORY, TEMPLATES, OutgoingEmail
from tests.unit.services.notifications.conftest import (
    CONTRACT_ADDRESSING,
    CONTRACTS_URL,
    INTAKE_URL,
    STAFF_EMAIL,
    contract_changed,
    offer_reminder_due,
    renewal_decided,
    token_of,
)

renderer = ContractEmailRenderer()

FR, EN = Language.FR, Language.EN
OTHER_LANGUAGE = {FR: EN, EN: FR}


def render(event: ContractEvent, template: ContractEmailTemplate) -> OutgoingEmail:
    assert template in templates_for(event)
    return renderer.render(event, template, CONTRACT_ADDRESSING)


def fr(text: str) -> str:
    """French typography: the amounts' and percentages' spaces do not break."""
    return text.replace(" ", NBSP)


def offer_url(event: ContractEvent) -> str:
    token = token_of(event.dossier_id, Purpose.ANSWER_OFFER)
    return f"{CONTRACTS_URL}/contracts/{event.contract_id}?token={token}"


def document_url(event: ContractEvent) -> str:
    return (
        f"{CONTRACTS_URL}/api/v1/contracts/{event.contract_id}/document.pdf"
        f"?token={token_of(event.dossier_id)}"
    )


def status_url(event: ContractEvent) -> str:
    return f"{INTAKE_URL}/api/v1/dossiers/{event.dossier_id}?token={token_of(event.dossier_id)}"


@dataclass(frozen=True)
class Case:
    """One contract e-mail: an event that sends it, and what it must say."""

    template: ContractEmailTemplate
    event_in: Callable[[Language], ContractEvent]
    """The event, its recipient writing the given language."""
    subject: dict[Language, str]
    sentence: dict[Language, str]

    def __str__(self) -> str:
        return self.template.name


CASES = [
    Case(
        OFFER,
        lambda language: contract_changed(ContractStatus.OFFER_SENT, language=language),
        {
            FR: "EIG — Votre proposition de contrat de projet",
            EN: "EIG — Your project contract offer",
        },
        {FR: "vous propose un contrat de projet", EN: "offers you a DINUM project contract"},
    ),
    Case(
        OFFER_REMINDER,
        offer_reminder_due,
        {
            FR: "EIG — Rappel : votre proposition de contrat attend votre réponse",
            EN: "EIG — Reminder: your contract offer awaits your answer",
        },
        {FR: "Nous n'avons pas encore reçu votre réponse", EN: "We have not received your answer"},
    ),
    Case(
        OFFER_EXPIRED,
        lambda language: contract_changed(ContractStatus.OFFER_EXPIRED, language=language),
        {
            FR: "EIG — Votre proposition de contrat a expiré",
            EN: "EIG — Your contract offer has lapsed",
        },
        {FR: "est arrivée à échéance", EN: "lapsed without an answer from you"},
    ),
    Case(
        DECLINED,
        lambda language: contract_changed(ContractStatus.DECLINED, language=language),
        {
            FR: "EIG — Votre refus de la proposition de contrat est enregistré",
            EN: "EIG — Your decision to decline the contract offer is recorded",
        },
        {FR: "Nous avons bien enregistré votre refus", EN: "We have recorded that you declined"},
    ),
    Case(
        SIGNED,
        lambda language: contract_changed(ContractStatus.SIGNED, language=language),
        {
            FR: "EIG — Votre contrat de projet est signé",
            EN: "EIG — Your project contract is signed",
        },
        {FR: "la DINUM l'a contresigné", EN: "DINUM has countersigned it"},
    ),
    Case(
        MISSION_LETTER,
        lambda language: contract_changed(ContractStatus.SIGNED, host_language=language),
        {
            FR: "EIG — Lettre de mission : Camille Martin, directeur ou directrice de produit "
            "(contrat n° EIG-7-0001)",
            EN: "EIG — Mission letter: Camille Martin, product director (contract no. EIG-7-0001)",
        },
        {
            FR: "a signé le contrat de projet de Camille Martin",
            EN: "has signed the project contract of Camille Martin",
        },
    ),
    Case(
        RENEWED,
        lambda language: renewal_decided(True, language=language),
        {
            FR: "EIG — Votre contrat de projet est renouvelé",
            EN: "EIG — Your project contract is renewed",
        },
        {FR: "est renouvelé pour 12 mois", EN: "is renewed for 12 months"},
    ),
    Case(
        NOT_RENEWED,
        lambda language: renewal_decided(False, language=language),
        {
            FR: "EIG — Votre contrat de projet ne sera pas renouvelé",
            EN: "EIG — Your project contract will not be renewed",
        },
        {FR: "ne sera pas renouvelé", EN: "will not be renewed"},
    ),
    Case(
        ENDED,
        lambda language: contract_changed(ContractStatus.ENDED, language=language),
        {FR: "EIG — Fin de votre contrat de projet", EN: "EIG — End of your project contract"},
        {FR: "arrive à son terme le", EN: "comes to its end on"},
    ),
]
"""Every e-mail whose recipient's language comes from the event (not the staff notice)."""


class TestEveryContractEmail:
    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_the_subject_is_in_the_recipients_language(
        self, case: Case, language: Language
    ) -> None:
        email = render(case.event_in(language), case.template)

        assert email.template == case.template.name
        assert email.language == language
        assert email.subject == case.subject[language]

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_it_says_what_happened_in_the_recipients_language_then_in_the_other(
        self, case: Case, language: Language
    ) -> None:
        email = render(case.event_in(language), case.template)

        first, then = case.sentence[language], case.sentence[OTHER_LANGUAGE[language]]
        for body in (email.text, email.html):
            assert body.index(first) < body.index(then)
        assert f'<html lang="{language.value}">' in email.html
        assert "DINUM" in email.text

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("template", CONTRACT_TEMPLATES, ids=lambda t: t.name)
    def test_it_renders_completely(
        self, template: ContractEmailTemplate, language: Language
    ) -> None:
        event = event_sending(template, language)

        email = render(event, template)

        assert email.subject.startswith("EIG — ")
        for body in (email.text, email.html):
            assert "{{" not in body
            assert "{%" not in body
        assert "\n\n\n" not in email.text
        assert email.html.count("<p") == email.html.count("</p>")

    @pytest.mark.parametrize("case", [case for case in CASES if case.template != MISSION_LETTER])
    def test_an_eig_e_mail_goes_to_the_eig_greeted_by_name(self, case: Case) -> None:
        event = case.event_in(FR)

        email = render(event, case.template)

        assert email.to == event.contact
        assert "Bonjour Camille Martin," in email.text
        assert "Hello Camille Martin," in email.text


def event_sending(template: ContractEmailTemplate, language: Language) -> ContractEvent:
    if template == RENEWAL_DUE:
        return contract_changed(ContractStatus.RENEWAL_DUE)
    return next(case for case in CASES if case.template == template).event_in(language)


class TestOffer:
    @pytest.mark.parametrize("template", [OFFER, OFFER_REMINDER, SIGNED], ids=lambda t: t.name)
    def test_the_amounts_term_and_dates_are_written_out_in_both_languages(
        self, template: ContractEmailTemplate
    ) -> None:
        event = event_sending(template, FR)

        email = render(event, template)

        for body in (email.text, email.html):
            for french in ("4 250,00 €", "51 000,00 €", "3 060,00 €", "6 %"):
                assert fr(french) in body
            for english in ("€4,250.00", "€51,000.00", "€3,060.00", "6%"):
                assert english in body
            assert "12 mois, du" in body
            assert "3 mars 2025" in body and "2 mars 2026" in body
            assert "12 months, from" in body
            assert "3 March 2025" in body and "2 March 2026" in body
            assert "EIG-7-0001" in body
            assert "Direction des routes" in body
        assert "« Signalement des nids-de-poule »" in email.text
        assert "“Signalement des nids-de-poule”" in email.text
        assert "directeur ou directrice de produit" in email.text
        assert "product director" in email.text

    @pytest.mark.parametrize("template", [OFFER, OFFER_REMINDER], ids=lambda t: t.name)
    def test_it_says_when_the_offer_lapses_and_links_to_the_offer_page_and_the_pdf(
        self, template: ContractEmailTemplate
    ) -> None:
        event = event_sending(template, EN)

        email = render(event, template)

        assert "21 February 2025 at 00:00 (Paris time)" in email.text
        assert "21 février 2025 à 00 h 00 (heure de Paris)" in email.text
        assert email.text.count(offer_url(event)) == 2  # once per language
        assert email.text.count(document_url(event)) == 2
        assert f'href="{offer_url(event)}"' in email.html
        assert f'href="{document_url(event)}"' in email.html
        assert "do not share them" in email.text
        assert "ne les partagez pas" in email.text

    def test_an_offer_without_expiry_says_no_date(self) -> None:
        event = contract_changed(ContractStatus.OFFER_SENT, offer_expires_at=None)

        email = render(event, OFFER)

        assert "valable jusqu'au" not in email.text
        assert "open until" not in email.text
        assert offer_url(event) in email.text

    def test_the_teams_note_is_shown_and_escaped_in_html(self) -> None:
        note = "Bienvenue <b>à bord</b> !\nÀ bientôt."
        event = contract_changed(ContractStatus.OFFER_SENT, note=note)

        email = render(event, OFFER)

        assert f"Message de l'équipe :\n{note}" in email.text
        assert f"Message from the team:\n{note}" in email.text
        assert "<b>à bord</b>" not in email.html
        assert "&lt;b&gt;à bord&lt;/b&gt;" in email.html


class TestBackToThePool:
    @pytest.mark.parametrize("template", [OFFER_EXPIRED, DECLINED], ids=lambda t: t.name)
    def test_the_seat_is_released_and_the_candidate_is_back_in_the_pool(
        self, template: ContractEmailTemplate
    ) -> None:
        event = event_sending(template, FR)

        email = render(event, template)

        assert "La place qui vous était réservée dans la promotion est libérée." in email.text
        assert "The seat kept for you in the promotion is released." in email.text
        assert "retourne dans le vivier des talents" in email.text
        assert "goes back to the talent pool" in email.text
        assert "EIG-7-0001" in email.text

    @pytest.mark.parametrize("template", [OFFER_EXPIRED, DECLINED], ids=lambda t: t.name)
    def test_it_links_to_the_status_page_not_to_the_offer_any_more(
        self, template: ContractEmailTemplate
    ) -> None:
        event = event_sending(template, FR)

        email = render(event, template)

        assert email.text.count(status_url(event)) == 2
        assert f'href="{status_url(event)}"' in email.html
        assert offer_url(event) not in email.text
        assert document_url(event) not in email.text

    def test_the_candidates_own_reason_is_not_shown_as_a_message_from_the_team(self) -> None:
        event = contract_changed(ContractStatus.DECLINED, note="J'ai accepté un autre poste.")

        email = render(event, DECLINED)

        assert "J'ai accepté un autre poste." not in email.text
        assert "Message de l'équipe" not in email.text


class TestSigned:
    def test_signed_sends_the_eigs_confirmation_then_the_hosts_mission_letter(self) -> None:
        event = contract_changed(ContractStatus.SIGNED)

        assert templates_for(event) == (SIGNED, MISSION_LETTER)

    def test_the_confirmation_gives_the_start_date_and_the_pdf_but_no_offer_page(self) -> None:
        event = contract_changed(ContractStatus.SIGNED)

        email = render(event, SIGNED)

        assert "commence le 3 mars 2025" in email.text
        assert "starts on 3 March 2025" in email.text
        assert email.text.count(document_url(event)) == 2
        assert offer_url(event) not in email.text

    def test_the_mission_letter_goes_to_the_hosts_contact_in_their_language(self) -> None:
        event = contract_changed(ContractStatus.SIGNED, host_language=EN)

        email = render(event, MISSION_LETTER)

        assert isinstance(event, ContractStatusChanged) and event.host_contact is not None
        assert email.to == event.host_contact
        assert email.text.index("MISSION LETTER") < email.text.index("LETTRE DE MISSION")
        assert "Hello Dominique Hôte," in email.text

    def test_the_mission_letter_names_the_eig_role_project_host_dates_and_number(self) -> None:
        event = contract_changed(ContractStatus.SIGNED)

        email = render(event, MISSION_LETTER)

        for body in (email.text, email.html):
            assert "Camille Martin" in body
            assert "directeur ou directrice de produit" in body and "product director" in body
            assert "Signalement des nids-de-poule" in body
            assert "Direction des routes" in body
            assert "3 mars 2025" in body and "2 mars 2026" in body
            assert "3 March 2025" in body and "2 March 2026" in body
            assert "EIG-7-0001" in body
        assert "- début : 3 mars 2025\n- fin : 2 mars 2026 (12 mois)" in email.text
        assert "- start: 3 March 2025\n- end: 2 March 2026 (12 months)" in email.text

    def test_the_mission_letter_keeps_the_eigs_pay_and_private_links_out(self) -> None:
        event = contract_changed(ContractStatus.SIGNED)

        email = render(event, MISSION_LETTER)

        for body in (email.text, email.html):
            assert "€" not in body
            assert "4250" not in body and "4 250" not in body.replace(NBSP, " ")
            assert token_of(event.dossier_id) not in body
            assert token_of(event.dossier_id, Purpose.ANSWER_OFFER) not in body
            assert event.contact.email not in body

    def test_without_the_hosts_contact_the_team_gets_the_letter_to_forward(self) -> None:
        event = contract_changed(ContractStatus.SIGNED, with_host=False)

        email = render(event, MISSION_LETTER)

        assert email.to.email == STAFF_EMAIL
        assert email.language == FR
        assert email.text.startswith("English version below.\n\nÀ transmettre :")
        assert "à l'administration d'accueil du projet (Direction des routes)" in email.text
        assert "to the project's host administration (Direction des routes)" in email.text
        assert "Bonjour,\n" in email.text

    def test_markup_in_the_eigs_name_is_escaped_in_html(self) -> None:
        terms = contract_changed().terms.model_copy(update={"eig_name": "<i>Eve</i>"})
        event = contract_changed(ContractStatus.SIGNED, terms=terms)

        email = render(event, MISSION_LETTER)

        assert "<i>Eve</i>" not in email.html
        assert "&lt;i&gt;Eve&lt;/i&gt;" in email.html
        assert "<i>Eve</i>" in email.text


class TestRenewal:
    def test_renewal_due_goes_to_staff_in_french_then_english_with_the_contracts_staff_link(
        self,
    ) -> None:
        event = contract_changed(ContractStatus.RENEWAL_DUE)
        staff_url = f"{CONTRACTS_URL}/api/v1/contracts/{event.contract_id}"

        email = render(event, RENEWAL_DUE)

        assert email.to.email == STAFF_EMAIL
        assert email.subject == "EIG — Renouvellement à décider : contrat n° EIG-7-0001"
        assert email.text.index("son renouvellement est à décider") < email.text.index(
            "its renewal is to be decided"
        )
        assert f"Ouvrir le contrat :\n{staff_url}\n" in email.text
        assert f"Open the contract:\n{staff_url}\n" in email.text
        assert f'href="{staff_url}"' in email.html
        assert f"POST {staff_url}/actions/decide_renewal" in email.text
        assert "Camille Martin" in email.text
        assert "arrive à son terme le 2 mars 2026" in email.text
        assert "comes to its end on 2 March 2026" in email.text
        assert "token=" not in email.text  # staff use their own credentials

    def test_renewal_due_after_an_early_no_says_nothing_is_left_to_decide(self) -> None:
        event = contract_changed(ContractStatus.RENEWAL_DUE).model_copy(
            update={"renewal_declined": True}
        )

        email = render(event, RENEWAL_DUE)

        assert "Déjà décidé : pas de renouvellement" in email.text
        assert "Already decided: not renewed" in email.text
        assert "decide_renewal" not in email.text
        assert "decide_renewal" not in email.html

    def test_a_renewal_gives_the_new_dates_and_amounts(self) -> None:
        event = renewal_decided(True, note="Bravo pour cette première année.")

        email = render(event, RENEWED)

        assert "du 3 mars 2026 au 2 mars 2027" in email.text
        assert "from 3 March 2026 to 2 March 2027" in email.text
        for body in (email.text, email.html):
            assert fr("5 000,00 €") in body and "€5,000.00" in body
            assert fr("60 000,00 €") in body and "€60,000.00" in body
            assert fr("10 %") in body and "10%" in body
            assert fr("6 000,00 €") in body and "€6,000.00" in body
            assert "(version 2)" in body
            # The ending term's pay is not what the EIG is told about.
            assert fr("4 250,00 €") not in body and "€4,250.00" not in body
        assert "Bravo pour cette première année." in email.text
        assert email.text.count(document_url(event)) == 2

    def test_a_renewal_without_its_new_terms_yet_still_announces_it(self) -> None:
        event = renewal_decided(True, next_terms=None)

        email = render(event, RENEWED)

        assert "est renouvelé." in email.text
        assert "L'équipe du programme vous communiquera les conditions" in email.text
        assert "The programme team will send you the terms" in email.text

    def test_no_renewal_gives_the_end_date(self) -> None:
        event = renewal_decided(False, note="Le projet s'achève.")

        assert templates_for(event) == (NOT_RENEWED,)
        email = render(event, NOT_RENEWED)

        assert "il prendra fin au terme prévu, le 2 mars 2026" in email.text
        assert "it will end as planned, on 2 March 2026" in email.text
        assert "Le projet s'achève." in email.text

    def test_the_end_of_the_contract_gives_its_end_date(self) -> None:
        email = render(contract_changed(ContractStatus.ENDED), ENDED)

        assert "arrive à son terme le 2 mars 2026" in email.text
        assert "comes to its end on 2 March 2026" in email.text


SILENT_CONTRACT_STATUSES = {
    ContractStatus.DRAFTED,
    ContractStatus.ACCEPTED,
    ContractStatus.ACTIVE,
    ContractStatus.RENEWED,
}


class TestContractTemplateRegistry:
    def test_every_status_is_either_e_mailed_or_deliberately_silent(self) -> None:
        assert set(STATUS_EMAILS) | SILENT_CONTRACT_STATUSES == set(ContractStatus)
        assert set(STATUS_EMAILS).isdisjoint(SILENT_CONTRACT_STATUSES)

    @pytest.mark.parametrize("status", sorted(SILENT_CONTRACT_STATUSES))
    def test_a_silent_status_sends_nothing(self, status: ContractStatus) -> None:
        assert templates_for(contract_changed(status)) == ()

    def test_the_offer_reminder_and_the_renewal_decision_each_send_one_e_mail(self) -> None:
        assert templates_for(offer_reminder_due()) == (OFFER_REMINDER,)
        assert templates_for(renewal_decided(True)) == (RENEWED,)
        assert templates_for(renewal_decided(False)) == (NOT_RENEWED,)

    def test_every_contract_e_mail_is_sent_by_some_event(self) -> None:
        sent = {template for templates in STATUS_EMAILS.values() for template in templates}
        sent |= {OFFER_REMINDER, RENEWED, NOT_RENEWED}

        assert sent == set(CONTRACT_TEMPLATES)

    @pytest.mark.parametrize("template", CONTRACT_TEMPLATES, ids=lambda t: t.name)
    def test_every_contract_e_mail_has_its_files_in_both_languages(
        self, template: ContractEmailTemplate
    ) -> None:
        for language in Language:
            for suffix in ("subject.txt", "txt", "html"):
                path = TEMPLATE_DIRECTORY / template.name / f"{language.value}.{suffix}"
                assert path.is_file(), path

    def test_every_template_folder_belongs_to_a_registered_e_mail(self) -> None:
        folders = {
            f"{path.parent.name}/{path.name}"
            for path in TEMPLATE_DIRECTORY.glob("*/*")
            if path.is_dir() and path.parent.name != "partials"
        }
        registered = {template.name for template in TEMPLATES.values()}
        registered |= {template.name for template in CONTRACT_TEMPLATES}
        registered |= {template.name for template in APPLICATION_TEMPLATES}

        assert folders == registered

    @pytest.mark.parametrize("template", CONTRACT_TEMPLATES, ids=lambda t: t.name)
    def test_the_audience_is_the_last_part_of_the_name(
        self, template: ContractEmailTemplate
    ) -> None:
        expected = {MISSION_LETTER: Audience.HOST, RENEWAL_DUE: Audience.STAFF}

        assert template.audience == expected.get(template, Audience.CANDIDATE)

    def test_the_message_id_is_stable_per_e_mail_and_differs_between_the_two(self) -> None:
        event = contract_changed(ContractStatus.SIGNED)

        confirmation, letter = (render(event, template) for template in templates_for(event))
        again = render(event, MISSION_LETTER)

        assert confirmation.message_id != letter.message_id
        assert again.message_id == letter.message_id
        assert {confirmation.event_id, letter.event_id} == {event.event_id}
        assert event.event_id not in {confirmation.notification_id, letter.notification_id}
