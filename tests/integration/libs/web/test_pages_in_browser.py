"""The web layer in Chromium: every macro passes axe in both states, the page loads no inline
script or style, our own form posts, and a form on another site is refused."""

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.web_site import Counter, create_site, create_stranger_site

pytestmark = [pytest.mark.integration, pytest.mark.browser]


class Site:
    def __init__(self, base_url: str, counter: Counter) -> None:
        self.base_url = base_url
        self.counter = counter


@pytest.fixture(scope="module")
async def site() -> AsyncIterator[Site]:
    counter = Counter()
    async with served(create_site(counter)) as base_url:
        yield Site(base_url, counter)


@pytest.mark.parametrize("errors", [False, True], ids=["empty", "with errors"])
async def test_every_component_passes_axe(page: Page, site: Site, errors: bool) -> None:
    watch = PageWatch(page)
    await page.goto(f"{site.base_url}/gallery?errors={str(errors).lower()}")
    await screenshot(page, f"web-components-{'errors' if errors else 'empty'}")
    await assert_accessible(page)
    assert watch.problems == []


async def test_our_own_form_posts_and_a_form_on_another_site_is_refused(
    page: Page, site: Site
) -> None:
    await page.goto(f"{site.base_url}/form")
    before = site.counter.accepted
    await page.get_by_label("Nom").fill("Camille")
    await page.get_by_role("button", name="Envoyer").click()
    await page.wait_for_url(f"{site.base_url}/form")
    assert site.counter.accepted == before + 1
    assert site.counter.names[-1] == "Camille"

    async with served(create_stranger_site(f"{site.base_url}/form")) as stranger:
        # localhost and 127.0.0.1 are different sites to the browser.
        await page.goto(stranger.replace("127.0.0.1", "localhost"))
        async with page.expect_response(f"{site.base_url}/form") as answer:
            await page.get_by_role("button", name="Win a prize").click()
        assert (await answer.value).status == 403
    await page.get_by_role("heading", name="Formulaire non accepté").wait_for()
    await screenshot(page, "web-csrf-refused")
    assert site.counter.accepted == before + 1
