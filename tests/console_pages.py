"""The staff console driven in Chromium as a person does: sign in through the test OIDC
provider in a browser context of one's own, wait for an action's form (the read model
catches up with the workflow), fill it by its labels, send it, see it recorded."""

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Locator, Page

from tests.browser import PageWatch
from tests.eventually import eventually
from tests.oidc_provider import sign_in_with_chromium

PARIS = ZoneInfo("Europe/Paris")
FORM_TIMEOUT_SECONDS = 60
"""For a form to show once the workflow's step reaches the read model (Kafka) on a busy machine."""


@asynccontextmanager
async def signed_in(browser: Browser, console_url: str, sub: str) -> AsyncIterator[Page]:
    """A browser context of ``sub``'s (cookies of their own), signed in to the console; its
    :class:`PageWatch` problems are asserted empty when the block ends."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        watch = PageWatch(page)
        await sign_in_with_chromium(page, console_url, sub)
        yield page
        assert watch.problems == [], (sub, watch.problems)
    finally:
        await context.close()


def datetime_local(moment: datetime) -> str:
    """``moment`` in Paris time as a ``datetime-local`` input holds it (its normalised form:
    seconds only when not zero), which Playwright's ``fill`` checks it kept."""
    local = moment.astimezone(PARIS).replace(microsecond=0, tzinfo=None)
    return local.isoformat(timespec="seconds" if local.second else "minutes")


def label(text: str) -> re.Pattern[str]:
    """A label's whole text (``Retenu`` and not ``Non retenu``)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


async def shown_after_reloads(page: Page, url: str, locator: Locator) -> None:
    """Reload ``url`` until ``locator`` is on it."""

    async def there() -> bool:
        await page.goto(url)
        return await locator.count() > 0

    await eventually(there, timeout=FORM_TIMEOUT_SECONDS, interval=0.5)


async def fill_and_send(
    form: Locator, choices: Sequence[str] = (), fields: Mapping[str, str] | None = None
) -> None:
    """Tick ``choices`` by their label, fill ``fields`` (label → value), press its button."""
    for choice in choices:
        await form.locator("label").filter(has_text=label(choice)).click()
    for name, value in (fields or {}).items():
        await form.get_by_label(name).fill(value)
    await form.get_by_role("button").click()


async def act(
    page: Page,
    url: str,
    action: str,
    choices: Sequence[str] = (),
    fields: Mapping[str, str] | None = None,
) -> None:
    """On a dossier's or a contract's page: once the form of ``action`` shows, fill it, send
    it, and see « Action enregistrée »."""
    form = page.locator(f"#action-{action}")
    await shown_after_reloads(page, url, form)
    await fill_and_send(form, choices, fields)
    await page.locator("#action-done").wait_for()


async def sign_in_for_development(
    page: Page, console_url: str, name: str, role: str, *, next_path: str = "/console/"
) -> None:
    """The development sign-in (``AUTH_MODE=dev``) as ``name`` with ``role``'s label (e.g.
    « Jury »); returns once the console shows ``next_path``."""
    await page.goto(f"{console_url}/console/connexion?suivant={quote(next_path)}")
    await page.get_by_label("Nom affiché").fill(name)
    await page.locator("label").filter(has_text=label(role)).click()
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{console_url}{next_path}")
