"""The e-mails of every applicant-visible outcome of the selection process, and staff reminders."""

import re
from dataclasses import dataclass

import pytest

from libs.messages.common import DossierKind, Language
from libs.messages.dossier_events import (
    DossierDeadlinePassed,
    DossierEvent,
    DossierStatus,
    DossierStatusChanged,
)
from libs.messages.dossier_events import Outcome as DossierOutcome
from services.notifications.rendering import (
    TEMPLATE_DIRECTORY,
    TEMPLATES,
    EmailRenderer,
    OutgoingEmail,
)
from tests.unit.services.notifications.conftest import (
    ADDRESSING,
    SELECTION_URL,
    STAFF_EMAIL,
    STATUS_URL,
    DeadlinePassed,
    StatusChanged,
)

renderer = EmailRenderer()

CANDIDATE, PROJECT = DossierKind.CANDIDATE, DossierKind.PROJECT
FR, EN = Language.FR, Language.EN


def render(event: DossierEvent) -> OutgoingEmail:
    return renderer.render(event, ADDRESSING.recipient_of(event))


@dataclass(frozen=True)
class Outcome:
    """One applicant-visible outcome: the event that causes it and what the e-mail must say."""

    template: str
    kind: DossierKind
    status: DossierStatus
    outcome: str
    previous_status: DossierStatus | None
    subject: dict[Language, str]
    sentence: dict[Language, str]

    def __str__(self) -> str:
        return f"{self.template}({self.status}/{self.outcome or '-'} from {self.previous_status})"


OUTCOMES = [
    Outcome(
        "investigation_requested/project",
        PROJECT,
        DossierStatus.INVESTIGATION_REQUESTED,
        "",
        DossierStatus.IN_EVALUATION,
        {
            FR: "EIG — Votre projet entre en phase d'investigation",
            EN: "EIG — Your project enters an investigation phase",
        },
        {
            FR: "nous ouvrons une phase d'investigation avec beta.gouv.fr",
            EN: "we are opening an investigation phase with beta.gouv.fr",
        },
    ),
    Outcome(
        "ineligible/project",
        PROJECT,
        DossierStatus.INELIGIBLE,
        "",
        DossierStatus.INVESTIGATION_REQUESTED,
        {
            FR: "EIG — Votre projet n'est pas éligible au programme",
            EN: "EIG — Your project is not eligible for the programme",
        },
        {
            FR: "il ne remplit pas les critères d'éligibilité du programme",
            EN: "it does not meet the programme's eligibility criteria",
        },
    ),
    Outcome(
        "scheduled/project",
        PROJECT,
        DossierStatus.SCHEDULED,
        "",
        DossierStatus.ELIGIBLE,
        {
            FR: "EIG — Votre projet est inscrit à une session de sélection",
            EN: "EIG — Your project is scheduled for a selection round",
        },
        {
            FR: "il est inscrit à une session de sélection",
            EN: "is scheduled for a selection round",
        },
    ),
    Outcome(
        "deferred/project",
        PROJECT,
        DossierStatus.SCHEDULED,
        "deferred",
        DossierStatus.SCHEDULED,
        {
            FR: "EIG — Votre projet est reporté à la prochaine session de sélection",
            EN: "EIG — Your project is deferred to the next selection round",
        },
        {
            FR: "est reporté à la prochaine session de sélection",
            EN: "is deferred to the next selection round",
        },
    ),
    Outcome(
        "deferred/project",
        PROJECT,
        DossierStatus.ELIGIBLE,  # deferred while the next round is not open yet
        "deferred",
        DossierStatus.SCHEDULED,
        {
            FR: "EIG — Votre projet est reporté à la prochaine session de sélection",
            EN: "EIG — Your project is deferred to the next selection round",
        },
        {
            FR: "est reporté à la prochaine session de sélection",
            EN: "is deferred to the next selection round",
        },
    ),
    Outcome(
        "selected/project",
        PROJECT,
        DossierStatus.SELECTED,
        "",
        DossierStatus.DEFENDED,
        {FR: "EIG — Votre projet est retenu", EN: "EIG — Your project has been selected"},
        {FR: "le jury a retenu votre projet", EN: "the jury has selected your project"},
    ),
    Outcome(
        "not_selected/project",
        PROJECT,
        DossierStatus.NOT_SELECTED,
        "",
        DossierStatus.DEFENDED,
        {
            FR: "EIG — Votre projet n'est pas retenu",
            EN: "EIG — Your project has not been selected",
        },
        {
            FR: "nous sommes au regret de vous informer qu'il n'a pas été retenu",
            EN: "we regret to inform you that it has not been selected",
        },
    ),
    Outcome(
        "shortlisted/candidate",
        CANDIDATE,
        DossierStatus.INTERVIEW,
        "shortlisted",
        DossierStatus.IN_REVIEW,
        {
            FR: "EIG — Votre candidature est présélectionnée : invitation à un entretien",
            EN: "EIG — Your application is shortlisted: invitation to an interview",
        },
        {
            FR: "Nous avons le plaisir de vous inviter à un entretien",
            EN: "We are pleased to invite you to an interview",
        },
    ),
    Outcome(
        "rejected/candidate",
        CANDIDATE,
        DossierStatus.REJECTED,
        "",
        DossierStatus.IN_REVIEW,
        {
            FR: "EIG — Votre candidature n'est pas retenue",
            EN: "EIG — Your application has not been selected",
        },
        {
            FR: "Après examen, nous sommes au regret de vous informer",
            EN: "After review, we regret to inform you",
        },
    ),
    Outcome(
        "rejected/candidate",
        CANDIDATE,
        DossierStatus.REJECTED,
        "",
        DossierStatus.INTERVIEW,
        {
            FR: "EIG — Votre candidature n'est pas retenue",
            EN: "EIG — Your application has not been selected",
        },
        {
            FR: "À l'issue de l'entretien, nous sommes au regret de vous informer",
            EN: "After the interview, we regret to inform you",
        },
    ),
    Outcome(
        "in_pool/candidate",
        CANDIDATE,
        DossierStatus.IN_POOL,
        "pool",
        DossierStatus.INTERVIEW,
        {
            FR: "EIG — Votre candidature rejoint le vivier des talents",
            EN: "EIG — Your application joins the talent pool",
        },
        {
            FR: "rejoint le vivier des talents du programme",
            EN: "joins the talent pool of the",
        },
    ),
    Outcome(
        "back_to_pool/candidate",
        CANDIDATE,
        DossierStatus.IN_POOL,
        "back_to_pool",
        DossierStatus.MATCHED,
        {
            FR: "EIG — Votre candidature reste dans le vivier des talents",
            EN: "EIG — Your application stays in the talent pool",
        },
        {
            FR: "n'a pas abouti à un recrutement",
            EN: "did not lead to a recruitment",
        },
    ),
    Outcome(
        "matched/candidate",
        CANDIDATE,
        DossierStatus.MATCHED,
        "",
        DossierStatus.IN_POOL,
        {
            FR: "EIG — Un projet vous est proposé : invitation à un entretien commun",
            EN: "EIG — A project for you: invitation to a joint interview",
        },
        {
            FR: "Nous vous invitons à un entretien commun",
            EN: "We invite you to a joint interview",
        },
    ),
    Outcome(
        "selected/candidate",
        CANDIDATE,
        DossierStatus.SELECTED,
        "",
        DossierStatus.MATCHED,
        {
            FR: "EIG — Votre candidature est retenue",
            EN: "EIG — Your application has been selected",
        },
        {
            FR: "vous êtes retenu·e pour rejoindre le programme",
            EN: "you have been selected to join the",
        },
    ),
    Outcome(
        "withdrawn/candidate",
        CANDIDATE,
        DossierStatus.WITHDRAWN,
        "",
        DossierStatus.IN_REVIEW,
        {
            FR: "EIG — Retrait de votre candidature confirmé",
            EN: "EIG — Withdrawal of your application confirmed",
        },
        {
            FR: "Nous confirmons le retrait de votre candidature",
            EN: "We confirm the withdrawal of your application",
        },
    ),
    Outcome(
        "withdrawn/project",
        PROJECT,
        DossierStatus.WITHDRAWN,
        "",
        DossierStatus.IN_EVALUATION,
        {
            FR: "EIG — Retrait de votre projet confirmé",
            EN: "EIG — Withdrawal of your project confirmed",
        },
        {
            FR: "Nous confirmons le retrait du projet",
            EN: "We confirm the withdrawal of the project",
        },
    ),
]

SILENT_STATUSES = [
    DossierStatus.IN_EVALUATION,
    DossierStatus.IN_REVIEW,
    DossierStatus.ELIGIBLE,
    DossierStatus.DEFENDED,
    DossierStatus.PARTNERSHIP_SIGNED,
]
"""Steps the applicant sees on the status page only."""

OTHER_LANGUAGE = {FR: EN, EN: FR}

EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def event_for(
    status_changed: StatusChanged, outcome: Outcome, language: Language = FR, **overrides: object
) -> DossierStatusChanged:
    return status_changed(
        outcome.kind,
        outcome.status,
        outcome=outcome.outcome,
        previous_status=outcome.previous_status,
        language=language,
        **overrides,
    )


class TestEveryOutcome:
    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("outcome", OUTCOMES, ids=str)
    def test_the_subject_names_the_outcome_in_the_applicants_language(
        self, status_changed: StatusChanged, outcome: Outcome, language: Language
    ) -> None:
        email = render(event_for(status_changed, outcome, language))

        assert email.template == outcome.template
        assert email.subject == outcome.subject[language]

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("outcome", OUTCOMES, ids=str)
    def test_it_says_what_happened_first_in_the_applicants_language_then_in_the_other(
        self, status_changed: StatusChanged, outcome: Outcome, language: Language
    ) -> None:
        email = render(event_for(status_changed, outcome, language))

        first, then = outcome.sentence[language], outcome.sentence[OTHER_LANGUAGE[language]]
        for body in (email.text, email.html):
            assert body.index(first) < body.index(then)
        assert "Bonjour Camille Martin," in email.text
        assert "Hello Camille Martin," in email.text
        assert "DINUM" in email.text

    @pytest.mark.parametrize("outcome", OUTCOMES, ids=str)
    def test_it_goes_to_the_contact_with_the_personal_status_link(
        self, status_changed: StatusChanged, outcome: Outcome
    ) -> None:
        event = event_for(status_changed, outcome, EN)

        email = render(event)

        assert email.to == event.contact
        assert email.text.count(STATUS_URL) == 2  # once per language
        assert f'href="{STATUS_URL}"' in email.html
        assert "Do not share it" in email.text or "Share it only with" in email.text

    @pytest.mark.parametrize("outcome", OUTCOMES, ids=str)
    def test_the_dossier_is_named_by_its_project_title_or_the_role_in_words(
        self, status_changed: StatusChanged, outcome: Outcome
    ) -> None:
        title, french, english = {
            PROJECT: ("Nids-de-poule", "« Nids-de-poule »", "“Nids-de-poule”"),
            CANDIDATE: (
                "technical_director",
                "directeur ou directrice technique",
                "technical director",
            ),
        }[outcome.kind]

        email = render(event_for(status_changed, outcome, title=title))

        assert french in email.text
        assert english in email.text
        assert "technical_director" not in email.text


class TestStaffNote:
    @pytest.mark.parametrize("outcome", OUTCOMES, ids=str)
    def test_a_note_is_introduced_as_a_message_from_the_team_in_both_languages(
        self, status_changed: StatusChanged, outcome: Outcome
    ) -> None:
        note = "Merci de prévoir une démonstration.\nDurée : 20 minutes."

        email = render(event_for(status_changed, outcome, note=note))

        assert f"Message de l'équipe :\n{note}" in email.text
        assert f"Message from the team:\n{note}" in email.text
        assert email.html.count(note) == 2
        assert "Message de l'équipe&nbsp;:" in email.html
        assert "Message from the team:" in email.html

    @pytest.mark.parametrize("note", ["", "  \n "])
    @pytest.mark.parametrize("outcome", OUTCOMES, ids=str)
    def test_without_a_note_there_is_no_message_block(
        self, status_changed: StatusChanged, outcome: Outcome, note: str
    ) -> None:
        email = render(event_for(status_changed, outcome, note=note))

        for body in (email.text, email.html):
            assert "Message de l'équipe" not in body
            assert "Message from the team" not in body
        assert "\n\n\n" not in email.text

    def test_markup_in_a_note_is_escaped_in_html_and_shown_as_typed_in_text(
        self, status_changed: StatusChanged
    ) -> None:
        note = '<script>alert("x")</script> & <b>co</b>'

        email = render(status_changed(CANDIDATE, DossierStatus.REJECTED, note=note))

        assert "<script>" not in email.html
        assert "<b>co</b>" not in email.html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;" in (
            email.html
        )
        assert note in email.text


class TestRoundDates:
    DATES = {
        "round_id": "7-project-2025-03",
        "cutoff_at": "2025-02-28T18:00:00+01:00",
        "defence_date": "2025-03-12",
        # 22:30 UTC on 31 March is already 1 April in Paris.
        "deliberation_date": "2025-03-31T22:30:00+00:00",
    }

    @pytest.mark.parametrize("outcome", ["", "deferred"])
    def test_the_round_dates_are_written_out_in_french_and_english(
        self, status_changed: StatusChanged, outcome: str
    ) -> None:
        event = status_changed(
            PROJECT, DossierStatus.SCHEDULED, outcome=outcome, details=self.DATES
        )

        email = render(event)

        assert "clôture des inscriptions à la session : 28 février 2025" in email.text
        assert "soutenance du projet devant le jury : 12 mars 2025" in email.text
        assert "délibération du jury : 1er avril 2025" in email.text
        assert "round closes to new entries: 28 February 2025" in email.text
        assert "defence of the project before the jury: 12 March 2025" in email.text
        assert "jury deliberation: 1 April 2025" in email.text
        assert "<strong>12 mars 2025</strong>" in email.html
        assert "<strong>12 March 2025</strong>" in email.html
        assert "7-project-2025-03" not in email.text  # an internal id, not for applicants

    def test_with_a_defence_date_the_applicant_is_not_told_it_will_come_later(
        self, status_changed: StatusChanged
    ) -> None:
        event = status_changed(PROJECT, DossierStatus.SCHEDULED, details=self.DATES)

        email = render(event)

        assert "vous précisera la date" not in email.text
        assert "will let you know the date" not in email.text

    def test_without_dates_the_applicant_is_told_the_defence_date_will_follow(
        self, status_changed: StatusChanged
    ) -> None:
        email = render(status_changed(PROJECT, DossierStatus.SCHEDULED))

        assert "Dates à retenir" not in email.text
        assert "Key dates" not in email.html
        assert "vous précisera la date et les modalités de la soutenance" in email.text
        assert "will let you know the date and arrangements of the defence" in email.text
        assert "\n\n\n" not in email.text

    def test_a_project_deferred_before_the_next_round_opens_is_told_it_will_hear_back(
        self, status_changed: StatusChanged
    ) -> None:
        event = status_changed(
            PROJECT,
            DossierStatus.ELIGIBLE,
            outcome="deferred",
            details={"deferred_from_round_id": "7-project-2025-03"},
        )

        email = render(event)

        assert "Dates à retenir" not in email.text
        assert "vous recevrez un e-mail dès que votre projet y sera inscrit" in email.text
        assert "you will receive an e-mail as soon as your project is scheduled" in email.text

    def test_a_project_deferred_to_an_open_round_is_not_told_the_round_is_not_open(
        self, status_changed: StatusChanged
    ) -> None:
        event = status_changed(
            PROJECT, DossierStatus.SCHEDULED, outcome="deferred", details=self.DATES
        )

        email = render(event)

        assert "n'est pas encore ouverte" not in email.text
        assert "is not open yet" not in email.text

    def test_a_date_that_is_not_iso_is_left_out_and_the_e_mail_still_goes(
        self, status_changed: StatusChanged
    ) -> None:
        event = status_changed(
            PROJECT,
            DossierStatus.SCHEDULED,
            details={"defence_date": "next Tuesday", "deliberation_date": "2025-03-20"},
        )

        email = render(event)

        assert "next Tuesday" not in email.text
        assert "soutenance du projet devant le jury" not in email.text
        assert "délibération du jury : 20 mars 2025" in email.text
        assert "vous précisera la date et les modalités de la soutenance" in email.text


class TestProjectTitleOfACandidate:
    @pytest.mark.parametrize(
        ("status", "outcome", "french", "english"),
        [
            (
                DossierStatus.MATCHED,
                "",
                "Le projet « Signalement des nids-de-poule », retenu par le programme",
                "The project “Signalement des nids-de-poule”, selected by the",
            ),
            (
                DossierStatus.SELECTED,
                "",
                "pour le projet « Signalement des nids-de-poule »",
                "for the project “Signalement des nids-de-poule”",
            ),
            (
                DossierStatus.IN_POOL,
                "back_to_pool",
                "La mise en relation avec le projet « Signalement des nids-de-poule »",
                "The introduction to the project “Signalement des nids-de-poule”",
            ),
        ],
    )
    def test_the_project_is_named_when_the_workflow_tells_it(
        self,
        status_changed: StatusChanged,
        status: DossierStatus,
        outcome: str,
        french: str,
        english: str,
    ) -> None:
        event = status_changed(
            CANDIDATE,
            status,
            outcome=outcome,
            details={"project_title": "Signalement des\nnids-de-poule"},
        )

        email = render(event)

        assert french in email.text
        assert english in email.text

    def test_without_a_project_title_the_joint_interview_is_still_announced(
        self, status_changed: StatusChanged
    ) -> None:
        email = render(status_changed(CANDIDATE, DossierStatus.MATCHED))

        assert "Un projet retenu par le programme" in email.text
        assert "A project selected by the" in email.text
        assert "Le projet «" not in email.text

    def test_markup_in_a_project_title_is_escaped_in_html(
        self, status_changed: StatusChanged
    ) -> None:
        event = status_changed(
            CANDIDATE, DossierStatus.MATCHED, details={"project_title": "<i>Projet</i>"}
        )

        email = render(event)

        assert "<i>Projet</i>" not in email.html
        assert "&lt;i&gt;Projet&lt;/i&gt;" in email.html


class TestTemplateRegistry:
    @pytest.mark.parametrize("outcome", OUTCOMES, ids=str)
    def test_every_applicant_visible_outcome_has_its_e_mail(
        self, status_changed: StatusChanged, outcome: Outcome
    ) -> None:
        template = renderer.template_for(event_for(status_changed, outcome))

        assert template is not None
        assert template.name == outcome.template

    def test_the_registry_holds_these_outcomes_the_acknowledgements_and_the_reminder_only(
        self,
    ) -> None:
        expected = {outcome.template for outcome in OUTCOMES} | {
            "received/candidate",
            "received/project",
            "deadline_passed/staff",
        }

        assert {template.name for template in TEMPLATES.values()} == expected

    @pytest.mark.parametrize("outcome", ["", "automatic", "eligible", "qualified"])
    @pytest.mark.parametrize("kind", list(DossierKind))
    @pytest.mark.parametrize("status", SILENT_STATUSES)
    def test_a_silent_step_has_no_e_mail(
        self, status_changed: StatusChanged, status: DossierStatus, kind: DossierKind, outcome: str
    ) -> None:
        assert renderer.template_for(status_changed(kind, status, outcome=outcome)) is None

    @pytest.mark.parametrize(
        ("kind", "status"),
        [
            (PROJECT, DossierStatus.INTERVIEW),
            (PROJECT, DossierStatus.REJECTED),
            (PROJECT, DossierStatus.IN_POOL),
            (PROJECT, DossierStatus.MATCHED),
            (CANDIDATE, DossierStatus.INVESTIGATION_REQUESTED),
            (CANDIDATE, DossierStatus.INELIGIBLE),
            (CANDIDATE, DossierStatus.SCHEDULED),
            (CANDIDATE, DossierStatus.NOT_SELECTED),
        ],
    )
    def test_a_status_of_the_other_kinds_path_has_no_e_mail(
        self, status_changed: StatusChanged, kind: DossierKind, status: DossierStatus
    ) -> None:
        assert renderer.template_for(status_changed(kind, status)) is None

    @pytest.mark.parametrize(
        ("kind", "status", "outcome", "template"),
        [
            (PROJECT, DossierStatus.SCHEDULED, "automatic", "scheduled/project"),
            (PROJECT, DossierStatus.SCHEDULED, "enrol", "scheduled/project"),
            (CANDIDATE, DossierStatus.INTERVIEW, "", "shortlisted/candidate"),
            (CANDIDATE, DossierStatus.IN_POOL, "", "in_pool/candidate"),
            (CANDIDATE, DossierStatus.REJECTED, "rejected", "rejected/candidate"),
        ],
    )
    def test_an_outcome_without_an_entry_of_its_own_gets_its_statuss_e_mail(
        self,
        status_changed: StatusChanged,
        kind: DossierKind,
        status: DossierStatus,
        outcome: str,
        template: str,
    ) -> None:
        found = renderer.template_for(status_changed(kind, status, outcome=outcome))

        assert found is not None
        assert found.name == template

    @pytest.mark.parametrize(
        "outcome", [DossierOutcome.CONTRACT_DECLINED, DossierOutcome.OFFER_EXPIRED]
    )
    def test_back_in_the_pool_after_a_contract_offer_sends_nothing_as_the_contract_e_mail_did(
        self, status_changed: StatusChanged, outcome: DossierOutcome
    ) -> None:
        event = status_changed(
            CANDIDATE,
            DossierStatus.IN_POOL,
            outcome=outcome.value,
            previous_status=DossierStatus.SELECTED,
        )

        assert renderer.template_for(event) is None

    def test_back_in_the_pool_after_an_interview_still_gets_its_e_mail(
        self, status_changed: StatusChanged
    ) -> None:
        event = status_changed(
            CANDIDATE, DossierStatus.IN_POOL, outcome=DossierOutcome.BACK_TO_POOL.value
        )

        found = renderer.template_for(event)

        assert found is not None
        assert found.name == "back_to_pool/candidate"

    @pytest.mark.parametrize("template", TEMPLATES.values(), ids=lambda t: t.name)
    def test_every_registered_e_mail_has_its_files_in_both_languages(self, template) -> None:
        for language in Language:
            for suffix in ("subject.txt", "txt", "html"):
                path = TEMPLATE_DIRECTORY / template.name / f"{language.value}.{suffix}"
                assert path.is_file(), path

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("key", TEMPLATES, ids=lambda key: TEMPLATES[key].name)
    def test_every_registered_e_mail_renders_completely(
        self,
        status_changed: StatusChanged,
        deadline_passed: DeadlinePassed,
        key,
        language: Language,
    ) -> None:
        if key.event_type is DossierDeadlinePassed:
            event: DossierEvent = deadline_passed()
        else:
            event = status_changed(
                key.kind, key.status, outcome=key.outcome or "", language=language
            )

        email = render(event)

        assert email.template == TEMPLATES[key].name
        assert email.subject.startswith("EIG — ")
        for body in (email.text, email.html):
            assert "{{" not in body
            assert "{%" not in body
        assert "\n\n\n" not in email.text


class TestStaffReminder:
    def test_it_goes_to_the_staff_address_in_french_then_english(
        self, deadline_passed: DeadlinePassed
    ) -> None:
        email = render(deadline_passed())

        assert email.to.email == STAFF_EMAIL
        assert email.language == FR
        assert email.template == "deadline_passed/staff"
        assert email.subject == (
            "EIG — Relance : échéance dépassée pour « Dites-le-nous une fois » "
            "(en cours d'évaluation)"
        )
        assert email.text.index("Bonjour,") < email.text.index("Hello,")

    def test_it_names_the_dossier_its_kind_title_stage_and_deadline(
        self, deadline_passed: DeadlinePassed
    ) -> None:
        event = deadline_passed()

        email = render(event)

        for line in (
            f"Dossier : {event.dossier_id}",
            "Type : projet",
            "Projet : Dites-le-nous une fois",
            "Étape : en cours d'évaluation (in_evaluation)",
            # 13:00 UTC in March is 14:00 in Paris (winter time).
            "Échéance : 12 mars 2025 à 14 h 00 (heure de Paris)",
            f"Dossier: {event.dossier_id}",
            "Kind: project",
            "Project: Dites-le-nous une fois",
            "Stage: being evaluated (in_evaluation)",
            "Deadline: 12 March 2025 at 14:00 (Paris time)",
        ):
            assert line in email.text

    def test_a_candidates_reminder_names_the_role_in_words(
        self, deadline_passed: DeadlinePassed
    ) -> None:
        event = deadline_passed(CANDIDATE, DossierStatus.IN_REVIEW, title="technical_director")

        email = render(event)

        assert "Rôle : directeur ou directrice technique" in email.text
        assert "Role: technical director" in email.text
        assert "Étape : candidature en cours d'examen (in_review)" in email.text

    def test_it_links_to_the_staff_page_of_the_dossier_not_the_applicants_link(
        self, deadline_passed: DeadlinePassed
    ) -> None:
        event = deadline_passed()
        staff_page = f"{SELECTION_URL}/api/v1/dossiers/{event.dossier_id}"

        email = render(event)

        assert email.text.count(staff_page) == 2
        assert f'href="{staff_page}"' in email.html
        assert "token=" not in email.text + email.html

    def test_it_contains_no_e_mail_address(self, deadline_passed: DeadlinePassed) -> None:
        email = render(deadline_passed())

        assert EMAIL_ADDRESS.search(email.text) is None
        assert EMAIL_ADDRESS.search(email.html) is None

    def test_markup_in_the_title_is_escaped_in_html(self, deadline_passed: DeadlinePassed) -> None:
        email = render(deadline_passed(title="<b>Dites</b>"))

        assert "<b>Dites</b>" not in email.html
        assert "&lt;b&gt;Dites&lt;/b&gt;" in email.html
