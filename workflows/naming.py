"""Workflow ids: the dossier id is the business key, so one dossier never gets two workflows."""

from uuid import UUID


def dossier_workflow_id(dossier_id: UUID) -> str:
    return f"dossier-{dossier_id}"
