"""The contracts read model: every event once, and a contract never moved back by a late event."""

import uuid
from datetime import timedelta

from sqlmodel import col, select

from libs.messages.contract_events import ContractStatus, ContractStatusChanged
from services.contracts.bootstrap import Contracts
from services.contracts.models import ContractRecord, ContractTimelineRecord
from services.contracts.read_model import record_contract_event
from tests.unit.services.contracts.events import T0, ContractStory, terms


async def row(contracts: Contracts, contract_id: uuid.UUID) -> ContractRecord:
    async with contracts.sessions() as session:
        found = await session.get(ContractRecord, contract_id)
        assert found is not None
        return found


async def timeline(contracts: Contracts, contract_id: uuid.UUID) -> list[ContractTimelineRecord]:
    async with contracts.sessions() as session:
        rows = await session.exec(
            select(ContractTimelineRecord)
            .where(col(ContractTimelineRecord.contract_id) == contract_id)
            .order_by(col(ContractTimelineRecord.occurred_at))
        )
        return list(rows.all())


class TestStatusChanges:
    async def test_the_first_event_creates_the_contract_with_its_terms(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()

        assert await record_contract_event(
            contracts.sessions, story.changed(ContractStatus.DRAFTED, at=T0)
        )

        record = await row(contracts, story.contract_id)
        assert (record.contract_number, record.version, record.status) == (
            "EIG-7-0001",
            1,
            "drafted",
        )
        assert (record.dossier_id, record.eig_name, record.contact_email) == (
            story.dossier_id,
            "Camille Martin",
            "camille@example.org",
        )
        assert record.terms["monthly_net_eur"] == "4250.00"
        assert record.host_administration == "Direction générale des Finances publiques"

    async def test_a_duplicate_event_changes_nothing(self, contracts: Contracts) -> None:
        story = ContractStory()
        offer = story.changed(
            ContractStatus.OFFER_SENT, at=T0, offer_expires_at=T0 + timedelta(days=10)
        )

        assert await record_contract_event(contracts.sessions, offer) is True
        before = await row(contracts, story.contract_id)
        assert await record_contract_event(contracts.sessions, offer) is False

        assert len(await timeline(contracts, story.contract_id)) == 1
        assert await row(contracts, story.contract_id) == before
        assert before.offer_expires_at == T0 + timedelta(days=10)

    async def test_an_older_event_read_late_goes_to_the_timeline_but_not_the_status(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        accepted = story.changed(
            ContractStatus.ACCEPTED, at=T0 + timedelta(days=2), action="accept", actor="applicant"
        )
        offer = story.changed(ContractStatus.OFFER_SENT, at=T0, action="send_offer")

        await record_contract_event(contracts.sessions, accepted)
        await record_contract_event(contracts.sessions, offer)

        record = await row(contracts, story.contract_id)
        assert (record.status, record.updated_at) == ("accepted", T0 + timedelta(days=2))
        assert [entry.status for entry in await timeline(contracts, story.contract_id)] == [
            "offer_sent",
            "accepted",
        ]

    async def test_a_late_event_of_the_previous_version_does_not_undo_a_renewal(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        second = terms(version=2, start_on=story.terms.end_on + timedelta(days=1))
        renewed = story.changed(ContractStatus.RENEWED, at=T0, version_terms=second)
        # Stamped later than the renewal (clock skew between workers), but of version 1.
        late = story.changed(ContractStatus.RENEWAL_DUE, at=T0 + timedelta(minutes=5))

        await record_contract_event(contracts.sessions, renewed)
        await record_contract_event(contracts.sessions, late)

        record = await row(contracts, story.contract_id)
        assert (record.status, record.version, record.start_on) == ("renewed", 2, second.start_on)


class TestActors:
    async def test_the_actor_s_display_name_reaches_the_timeline(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        signed = story.changed(
            ContractStatus.SIGNED,
            at=T0,
            action="countersign",
            actor="dev-admin-dominique",
            actor_name="Dominique Admin",
        )

        await record_contract_event(contracts.sessions, signed)

        [entry] = await timeline(contracts, story.contract_id)
        assert (entry.actor, entry.actor_name) == ("dev-admin-dominique", "Dominique Admin")

    async def test_a_version_1_event_is_read_with_an_empty_display_name(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        body = story.changed(ContractStatus.OFFER_SENT, at=T0, actor="dev-staff").model_dump(
            mode="json"
        )
        del body["actor_name"]
        body["schema_version"] = 1
        old = ContractStatusChanged.model_validate(body)

        await record_contract_event(contracts.sessions, old)

        [entry] = await timeline(contracts, story.contract_id)
        assert (entry.actor, entry.actor_name) == ("dev-staff", "")
        assert story.changed(ContractStatus.OFFER_SENT, at=T0).schema_version == 2


class TestRemindersAndRenewals:
    async def test_a_reminder_is_recorded_without_undoing_an_answer_given_at_the_same_time(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        expires = T0 + timedelta(days=10)
        await record_contract_event(
            contracts.sessions,
            story.changed(ContractStatus.ACCEPTED, at=T0 + timedelta(days=7), action="accept"),
        )

        await record_contract_event(
            contracts.sessions, story.reminder(at=T0 + timedelta(days=7), expires_at=expires)
        )

        assert (await row(contracts, story.contract_id)).status == "accepted"
        kinds = [entry.event_type for entry in await timeline(contracts, story.contract_id)]
        assert sorted(kinds) == ["ContractOfferReminderDue", "ContractStatusChanged"]

    async def test_a_reminder_read_first_creates_the_offer_with_its_expiry(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        expires = T0 + timedelta(days=10)

        await record_contract_event(
            contracts.sessions, story.reminder(at=T0 + timedelta(days=7), expires_at=expires)
        )

        record = await row(contracts, story.contract_id)
        assert (record.status, record.offer_expires_at) == ("offer_sent", expires)

    async def test_a_decision_to_renew_shows_the_next_terms_until_the_new_version_starts(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        second = terms(
            version=2,
            band="over_10_years",
            years=11,
            start_on=story.terms.end_on + timedelta(days=1),
        )
        await record_contract_event(
            contracts.sessions, story.changed(ContractStatus.RENEWAL_DUE, at=T0)
        )

        await record_contract_event(
            contracts.sessions,
            story.renewal_decided(at=T0 + timedelta(days=3), renew=True, next_terms=second),
        )

        record = await row(contracts, story.contract_id)
        assert (record.status, record.renewal_decision) == ("renewal_due", True)
        assert record.next_terms is not None
        assert record.next_terms["monthly_net_eur"] == "5000.00"
        [decision] = [
            entry
            for entry in await timeline(contracts, story.contract_id)
            if entry.event_type == "ContractRenewalDecided"
        ]
        assert (decision.action, decision.renew, decision.actor) == (
            "decide_renewal",
            True,
            "dev-staff",
        )

        await record_contract_event(
            contracts.sessions,
            story.changed(ContractStatus.RENEWED, at=T0 + timedelta(days=60), version_terms=second),
        )

        record = await row(contracts, story.contract_id)
        assert (record.status, record.version, record.band) == ("renewed", 2, "over_10_years")
        assert (record.next_terms, record.renewal_decision) == (None, None)

    async def test_a_decision_taken_early_keeps_the_status_the_contract_is_in(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        await record_contract_event(contracts.sessions, story.changed(ContractStatus.ACTIVE, at=T0))

        await record_contract_event(
            contracts.sessions, story.renewal_decided(at=T0 + timedelta(days=3), renew=False)
        )

        record = await row(contracts, story.contract_id)
        assert (record.status, record.renewal_decision) == ("active", False)
        decision = (await timeline(contracts, story.contract_id))[-1]
        assert (decision.event_type, decision.status) == ("ContractRenewalDecided", "active")

    async def test_a_decision_about_a_previous_version_read_late_changes_no_terms(
        self, contracts: Contracts
    ) -> None:
        story = ContractStory()
        second = terms(version=2, start_on=story.terms.end_on + timedelta(days=1))
        await record_contract_event(
            contracts.sessions,
            story.changed(ContractStatus.RENEWED, at=T0 + timedelta(days=60), version_terms=second),
        )

        await record_contract_event(
            contracts.sessions,
            story.renewal_decided(at=T0 + timedelta(days=3), renew=True, next_terms=second),
        )

        record = await row(contracts, story.contract_id)
        assert (record.status, record.version, record.next_terms) == ("renewed", 2, None)
        assert len(await timeline(contracts, story.contract_id)) == 2
