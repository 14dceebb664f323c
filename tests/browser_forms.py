"""Intake's two application forms filled in Chromium as a person does (labels, boxes ticked
on their label), for the in-process browser tests and the end-to-end journey alike."""

from typing import Final

from playwright.async_api import Page

LONG_TEXT: Final = (
    "Cofondatrice d’une jeune pousse de la donnée de santé, équipe de quinze personnes."
)


async def tick(page: Page, label: str) -> None:
    """Check a radio or a box as a person does, by its label (DSFR draws the box on it)."""
    await page.locator("label", has_text=label).click()
    assert await page.get_by_label(label).is_checked()


async def fill_candidate(page: Page, *, email: str = "camille.martin@example.fr") -> None:
    """Every required field of ``/candidater``, in French."""
    await page.get_by_label("Prénom").fill("Camille")
    await page.get_by_role("textbox", name="Nom", exact=True).fill("Martin")
    await page.get_by_label("Adresse électronique").fill(email)
    await tick(page, "Directeur ou directrice technique")
    await page.get_by_label("Années d’expérience professionnelle").fill("12")
    await page.get_by_label("Votre expérience entrepreneuriale").fill(LONG_TEXT)
    await tick(page, "J’accepte que les informations")


async def fill_project_but_profiles(
    page: Page, *, title: str, contact_email: str = "julien@example.fr"
) -> None:
    """Every required field of ``/deposer-un-projet`` but the profiles wanted, in French: the
    one a newcomer forgets (tick one with :func:`tick` to send it)."""
    await page.get_by_label("Nom de l’administration").fill("Direction du numérique")
    await tick(page, "Administration centrale")
    await page.get_by_label("Nom du sponsor").fill("Claire Dubois")
    await page.get_by_label("Fonction du sponsor").fill("Directrice")
    await page.get_by_label("Titre du projet").fill(title)
    await page.get_by_label("Le problème public à résoudre").fill(LONG_TEXT)
    await page.get_by_label("Politique publique prioritaire servie").fill("Entreprises")
    await page.get_by_label("Objectifs mesurables").fill("500 entreprises aidées.")
    await tick(page, "Construction")
    await page.get_by_label("Nom de la personne à contacter").fill("Julien Lefèvre")
    await page.get_by_label("Adresse électronique de contact").fill(contact_email)
    await tick(page, "J’accepte que les informations")
