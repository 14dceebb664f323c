"""Real-browser testing: Debian's Chromium driven by Playwright, axe-core for accessibility,
screenshots of every page visited, and an app served by uvicorn on a free port.

The browser is the ``chromium`` Debian package's (``make install`` installs it), passed to
Playwright as ``executable_path``: nothing is downloaded (never ``playwright install``).
"""

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, ConsoleMessage, Page, Playwright, Request, Response

from deploy.local.engines import free_port
from tests.eventually import eventually

CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)
SCREENSHOTS: Final = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
"""Gitignored; a few chosen ones are committed under docs/screenshots/."""

WCAG_21_AA: Final = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
_AXE = Axe()


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError(
            "Chromium is missing: run `make install` (as root it runs `apt-get install -y "
            "chromium`), or install Debian's `chromium` package yourself."
        )
    return path


async def launch_chromium(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(
        executable_path=chromium_path(), args=list(CHROMIUM_ARGS)
    )


def violations_report(violations: list[dict[str, Any]]) -> str:
    """One paragraph per axe violation: rule, impact, help, and each offending element."""
    lines = [f"{len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}"
            f" [{violation.get('helpUrl', '')}]"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"      {line}" for line in summary.splitlines())
    return "\n".join(lines)


async def assert_accessible(page: Page) -> None:
    """No violation of any WCAG 2.1 level A or AA rule axe-core checks, on the page as shown."""
    # Violations only: axe then skips detailing every passing node, which halves its time
    # on our pages; what it reports on a violation is unchanged.
    options = {
        "runOnly": {"type": "tag", "values": list(WCAG_21_AA)},
        "resultTypes": ["violations"],
    }
    results = await _AXE.run(page, options=options)
    violations: list[dict[str, Any]] = results.response["violations"]
    assert not violations, violations_report(violations)


async def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of what the page shows, under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_.-]+', '-', name.lower())}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def rendered_fonts(page: Page, selector: str) -> set[str]:
    """The families Chromium drew the text of ``selector``'s first element with, as its
    DevTools report them: what the reader sees, not what the CSS asks for. (Neither
    ``getComputedStyle`` nor ``document.fonts.check``, true for a family the page never
    declared, can tell a fallback from the font.) Empty until the text is laid out."""
    session = await page.context.new_cdp_session(page)
    try:
        await session.send("DOM.enable")
        await session.send("CSS.enable")
        root = await session.send("DOM.getDocument")
        found = await session.send(
            "DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector}
        )
        assert found["nodeId"], f"nothing matches {selector!r}"
        fonts = await session.send("CSS.getPlatformFontsForNode", {"nodeId": found["nodeId"]})
        return {font["familyName"] for font in fonts["fonts"]}
    finally:
        await session.detach()


async def assert_drawn_in_marianne(page: Page, *selectors: str) -> None:
    """The text of each of ``selectors`` is drawn in DSFR's Marianne, served by our origin
    (a ``swap`` face: the fallback shows until the file has loaded, hence the wait)."""
    for selector in selectors:

        async def in_marianne(selector: str = selector) -> bool:
            return await rendered_fonts(page, selector) == {"Marianne"}

        try:
            await eventually(in_marianne, timeout=30)
        except AssertionError:
            fonts = await rendered_fonts(page, selector)
            raise AssertionError(
                f"{selector} is drawn in {fonts or 'nothing'}, not Marianne"
            ) from None


def _dsfr_copying_a_styled_element(message: ConsoleMessage) -> bool:
    """DSFR's own module script at times applies a style the policy refuses (seen on console
    pages about once in eight loads, more on a busy machine; its header script rebuilds the
    mobile menu from the tool links' HTML, which would carry a style set through the CSSOM
    before it ran). The refused style only affects DSFR's rendering; the policy stays strict
    and any other refused style, ours included, is still a problem."""
    url = str(message.location.get("url", ""))
    return "Applying inline style violates" in message.text and url.endswith(
        "/static/dsfr/dsfr.module.min.js"
    )


class PageWatch:
    """What a page did wrong that no assertion on its content would see: a refusal of the
    Content-Security-Policy (an inline script or style), an uncaught script error, an asset
    that failed to load."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)

    def _on_console(self, message: ConsoleMessage) -> None:
        # The document's own error status (a 404 page) is logged too: the response hook
        # judges loads, the console only what the browser refused.
        if message.type == "error" and "Failed to load resource" not in message.text:
            if not _dsfr_copying_a_styled_element(message):
                self.problems.append(f"console: {message.text}")

    def _on_request_failed(self, request: Request) -> None:
        # A page left while its favicon still loads (a sign-in redirecting to the identity
        # provider) cancels the request: the browser's doing, not a defect of the page.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url}")

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status}: {response.url}")


@asynccontextmanager
async def served(app: Any, *, port: int | None = None) -> AsyncIterator[str]:
    """``app`` served by uvicorn on ``port`` (a free 127.0.0.1 port unless given: an app that
    must know its own URL, as the console for its OIDC redirect, is given one chosen first
    with ``free_port``); yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve(), name=f"uvicorn-{port}")

    async def started() -> bool:
        if task.done():  # failed to start: say why instead of waiting
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        return server.started

    try:
        await eventually(started, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
