"""The State design system (DSFR) served from our own origin: which of its files the pages
need, and their copy from npm's ``node_modules`` into the folder served at ``/static/``.

``make install`` runs ``python -m libs.web.assets`` after ``npm ci``. The copy is idempotent
(only changed files are written, stale ones removed) and takes a fraction of a second, so it
runs at every install. Nothing is fetched at run time and nothing comes from a CDN.

What is copied: the minified CSS and the module and nomodule JS, every file those CSS
reference (fonts, component icons), the favicons, the error pages' artwork, and the icons CSS
cut down to the ``fr-icon-*`` classes the templates use, with only those SVGs. The private
documents' own stylesheet (``static/eig/document.css``, no DSFR CSS) declares Marianne on the
same copied font files.
"""

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPOSITORY: Final = Path(__file__).resolve().parents[2]
DSFR_PACKAGE: Final = REPOSITORY / "node_modules" / "@gouvfr" / "dsfr" / "dist"
STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
"""Served at :data:`STATIC_URL` by every service with pages (see :mod:`libs.web.pages`)."""
STATIC_URL: Final = "/static"
DSFR_DIR: Final = STATIC_DIR / "dsfr"
"""Generated (gitignored): rebuilt from the npm package by :func:`copy_dsfr`."""

CSS: Final = "dsfr.min.css"
ICONS_CSS: Final = "utility/icons/icons.min.css"
MODULE_JS: Final = "dsfr.module.min.js"
NOMODULE_JS: Final = "dsfr.nomodule.min.js"
FAVICONS: Final = (
    "favicon/apple-touch-icon.png",
    "favicon/favicon.svg",
    "favicon/favicon.ico",
    "favicon/manifest.webmanifest",
    "favicon/android-chrome-192x192.png",
    "favicon/android-chrome-512x512.png",
)
"""The layout links the first four; the manifest names the two Android icons."""
ARTWORK: Final = ("artwork/background/ovoid.svg", "artwork/pictograms/system/technical-error.svg")
"""The error pages' illustration."""

TEMPLATE_SOURCES: Final = (
    REPOSITORY / "libs" / "web",
    *sorted((REPOSITORY / "services").glob("*/pages")),
)
"""Where page templates and the code that builds them live; scanned for ``fr-icon-*``."""

ICON_CLASS = re.compile(r"\bfr-(?:icon|fi)-([a-z0-9]+(?:-[a-z0-9]+)*)")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")


class AssetsError(Exception):
    """The npm package is missing, or a template names an icon DSFR does not have."""


@dataclass(frozen=True)
class CopyReport:
    written: int
    removed: int
    total: int


def css_urls(css: str) -> list[str]:
    """Every local file a stylesheet references (``data:`` URIs and fragments excluded)."""
    urls = (match.group(2).strip() for match in _CSS_URL.finditer(css))
    return [url for url in urls if not url.startswith(("data:", "#", "http:", "https:", "//"))]


def used_icons(sources: Iterable[Path] = TEMPLATE_SOURCES) -> set[str]:
    """Names of the icons (``fr-icon-<name>``) the templates and page code mention."""
    names: set[str] = set()
    for source in sources:
        for path in _source_files(source):
            names.update(ICON_CLASS.findall(path.read_text(encoding="utf-8")))
    return names


def icons_subset(icons_css: str, icons: set[str]) -> str:
    """The icons stylesheet with only the rules of ``icons``; its licence banner is kept.

    The stylesheet is a list of rules (one per icon, its ``::before`` and ``::after``) and a
    few ``@media`` blocks of the same kind: a rule is kept when its selector names one of
    ``icons``; an at-rule left empty is dropped.
    """
    banner = icons_css[: icons_css.index("*/") + 2] if icons_css.startswith("/*") else ""
    return banner + _filter_rules(_strip_comments(icons_css), icons)


def missing_icons(icons_css: str, icons: set[str]) -> set[str]:
    """Icons named in templates that the stylesheet does not define (a typo, usually)."""
    defined = set(ICON_CLASS.findall(icons_css))
    return icons - defined


def copy_dsfr(
    package: Path = DSFR_PACKAGE,
    target: Path = DSFR_DIR,
    *,
    icons: set[str] | None = None,
) -> CopyReport:
    """Copy what the pages need from ``package`` (the npm package's ``dist``) to ``target``."""
    if not (package / CSS).is_file():
        raise AssetsError(
            f"{package / CSS} is missing: run `npm ci` (or `make install`) at the repository root"
        )
    icons = used_icons() if icons is None else icons
    full_icons_css = (package / ICONS_CSS).read_text(encoding="utf-8")
    unknown = missing_icons(full_icons_css, icons)
    if unknown:
        raise AssetsError(f"Unknown DSFR icons in templates: {', '.join(sorted(unknown))}")

    files: dict[str, bytes] = {}
    for name in (MODULE_JS, NOMODULE_JS, *FAVICONS, *ARTWORK):
        files[name] = (package / name).read_bytes()
    stylesheets = {
        CSS: (package / CSS).read_text(encoding="utf-8"),
        ICONS_CSS: icons_subset(full_icons_css, icons),
    }
    for name, css in stylesheets.items():
        files[name] = css.encode()
        for url in css_urls(css):
            referenced = _relative_to(package, (package / name).parent / url)
            files[referenced] = (package / referenced).read_bytes()
    return _write_tree(target, files)


def _write_tree(target: Path, files: dict[str, bytes]) -> CopyReport:
    written = 0
    for name, content in files.items():
        path = target / name
        if path.is_file() and path.read_bytes() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written += 1
    removed = 0
    wanted = {target / name for name in files}
    for path in sorted(target.rglob("*"), reverse=True):
        if path.is_file() and path not in wanted:
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return CopyReport(written=written, removed=removed, total=len(files))


def _relative_to(package: Path, path: Path) -> str:
    resolved = path.resolve()
    if not resolved.is_relative_to(package.resolve()):
        raise AssetsError(f"{path} is outside the DSFR package")
    return resolved.relative_to(package.resolve()).as_posix()


def _source_files(source: Path) -> Iterator[Path]:
    if source.is_file():
        yield source
        return
    for pattern in ("*.html", "*.py"):
        for path in sorted(source.rglob(pattern)):
            if STATIC_DIR not in path.parents:
                yield path


def _strip_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def _filter_rules(css: str, icons: set[str]) -> str:
    kept: list[str] = []
    for prelude, body in _top_level_rules(css):
        if prelude.startswith("@"):
            inner = _filter_rules(body, icons)
            if inner:
                kept.append(f"{prelude}{{{inner}}}")
        elif not ICON_CLASS.search(prelude) or set(ICON_CLASS.findall(prelude)) & icons:
            kept.append(f"{prelude}{{{body}}}")
    return "".join(kept)


def _top_level_rules(css: str) -> Iterator[tuple[str, str]]:
    """``(prelude, body)`` of each top-level block; nested blocks stay in their body."""
    depth = 0
    start = 0
    prelude = ""
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                prelude = css[start:index].strip()
                start = index + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                yield prelude, css[start:index]
                start = index + 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--package", type=Path, default=DSFR_PACKAGE, help="DSFR's dist folder")
    parser.add_argument("--target", type=Path, default=DSFR_DIR, help="where to copy it")
    arguments = parser.parse_args(argv)
    try:
        report = copy_dsfr(arguments.package, arguments.target)
    except AssetsError as error:
        print(f"DSFR assets: {error}", file=sys.stderr)  # noqa: T201 - a command-line tool
        return 1
    if report.written or report.removed:
        print(  # noqa: T201 - a command-line tool
            f"DSFR assets: {report.written} written, {report.removed} removed "
            f"({report.total} files in {arguments.target})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
