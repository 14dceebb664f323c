"""The copy of DSFR's files into the static folder: complete, minimal, idempotent."""

from pathlib import Path

import pytest

from libs.web import assets
from libs.web.assets import (
    ARTWORK,
    CSS,
    DSFR_DIR,
    DSFR_PACKAGE,
    FAVICONS,
    ICONS_CSS,
    MODULE_JS,
    NOMODULE_JS,
    STATIC_DIR,
    AssetsError,
    copy_dsfr,
    css_urls,
    icons_subset,
    missing_icons,
    used_icons,
)

BANNER = "/*! DSFR test banner */"
ICONS = (
    BANNER + ".fr-icon-arrow-right-line:after,.fr-icon-arrow-right-line:before"
    "{mask-image:url(../../icons/arrows/arrow-right-line.svg)}"
    ".fr-icon-bank-fill:after,.fr-icon-bank-fill:before"
    "{mask-image:url(../../icons/buildings/bank-fill.svg)}"
    "@media (min-width:36em){/*! media sm */}"
    "@media screen and (-ms-high-contrast:active){.fr-icon-bank-fill:before"
    "{background-image:url(../../icons/buildings/bank-fill.svg)}"
    ".fr-icon-arrow-right-line:before{background-image:url(../../icons/arrows/arrow-right-line.svg)}}"
)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A stand-in for the npm package's dist/: a stylesheet with a font and a data: URI."""
    dist = tmp_path / "dist"
    files = {
        CSS: "@font-face{src:url(fonts/Marianne-Regular.woff2) format('woff2')}"
        '.fr-x{background:url("data:image/svg+xml;charset=utf-8,<svg/>")}',
        ICONS_CSS: ICONS,
        "fonts/Marianne-Regular.woff2": "font",
        "icons/arrows/arrow-right-line.svg": "<svg/>",
        "icons/buildings/bank-fill.svg": "<svg/>",
        MODULE_JS: "module",
        NOMODULE_JS: "nomodule",
        **{name: name for name in (*FAVICONS, *ARTWORK)},
    }
    for name, content in files.items():
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_text(content)
    return dist


def copied(target: Path) -> set[str]:
    return {path.relative_to(target).as_posix() for path in target.rglob("*") if path.is_file()}


class TestCopy:
    def test_copies_the_stylesheets_what_they_reference_and_only_the_icons_used(
        self, package: Path, tmp_path: Path
    ) -> None:
        target = tmp_path / "static"
        copy_dsfr(package, target, icons={"arrow-right-line"})
        files = copied(target)
        assert "fonts/Marianne-Regular.woff2" in files
        assert "icons/arrows/arrow-right-line.svg" in files
        assert "icons/buildings/bank-fill.svg" not in files
        assert {MODULE_JS, NOMODULE_JS, *FAVICONS, *ARTWORK} <= files
        icons_css = (target / ICONS_CSS).read_text()
        assert icons_css.startswith(BANNER)
        assert "bank-fill" not in icons_css
        assert icons_css.count("arrow-right-line.svg") == 2  # mask rule and high-contrast rule

    def test_a_second_copy_writes_nothing_and_stale_files_are_removed(
        self, package: Path, tmp_path: Path
    ) -> None:
        target = tmp_path / "static"
        first = copy_dsfr(package, target, icons={"arrow-right-line", "bank-fill"})
        assert first.written == first.total
        again = copy_dsfr(package, target, icons={"arrow-right-line", "bank-fill"})
        assert (again.written, again.removed) == (0, 0)
        fewer = copy_dsfr(package, target, icons={"arrow-right-line"})
        assert fewer.removed == 1
        assert not (target / "icons" / "buildings").exists()

    def test_an_icon_dsfr_does_not_have_is_refused(self, package: Path, tmp_path: Path) -> None:
        with pytest.raises(AssetsError, match="fr-icon-typo|typo-line"):
            copy_dsfr(package, tmp_path / "static", icons={"typo-line"})

    def test_a_missing_package_says_to_run_npm_ci(self, tmp_path: Path) -> None:
        with pytest.raises(AssetsError, match="npm ci"):
            copy_dsfr(tmp_path / "nothing", tmp_path / "static", icons=set())
        assert assets.main(["--package", str(tmp_path / "nothing")]) == 1


class TestIcons:
    def test_icons_are_found_in_templates_and_page_code(self, tmp_path: Path) -> None:
        (tmp_path / "page.html").write_text('<a class="fr-btn fr-icon-arrow-right-line">x</a>')
        (tmp_path / "view.py").write_text('ICON = "fr-icon-bank-fill"  # fr-icon--sm is a size')
        assert used_icons([tmp_path]) == {"arrow-right-line", "bank-fill"}

    def test_the_subset_keeps_a_rule_only_for_the_icons_named(self) -> None:
        subset = icons_subset(ICONS, {"bank-fill"})
        assert "arrow-right-line" not in subset
        assert "@media (min-width:36em)" not in subset  # left empty: dropped
        assert css_urls(subset) == ["../../icons/buildings/bank-fill.svg"] * 2

    def test_data_uris_are_not_files(self) -> None:
        css = 'a{b:url("data:image/svg+xml,<svg/>")}c{d:url(fonts/x.woff2)}e{f:url(#g)}'
        assert css_urls(css) == ["fonts/x.woff2"]


class TestInstalledAssets:
    """What `make install` copied from the real package (it runs before the tests)."""

    def test_every_url_in_the_copied_stylesheets_resolves_to_a_copied_file(self) -> None:
        assert (DSFR_DIR / CSS).is_file(), "DSFR's files are not copied: run `make install`"
        for stylesheet in (CSS, ICONS_CSS):
            css_file = DSFR_DIR / stylesheet
            urls = css_urls(css_file.read_text(encoding="utf-8"))
            assert urls, stylesheet
            missing = [url for url in urls if not (css_file.parent / url).resolve().is_file()]
            assert not missing, f"{stylesheet} references missing files: {missing[:5]}"

    def test_our_own_stylesheets_reference_copied_files_only(self) -> None:
        # document.css declares Marianne again on DSFR's copied fonts (no DSFR CSS there).
        referenced = {
            (css_file.parent / url).resolve(): css_file.name
            for css_file in sorted((STATIC_DIR / "eig").glob("*.css"))
            for url in css_urls(css_file.read_text(encoding="utf-8"))
        }
        assert (DSFR_DIR / "fonts" / "Marianne-Regular.woff2").resolve() in referenced
        missing = {path: name for path, name in referenced.items() if not path.is_file()}
        assert not missing, f"missing files: {missing}"

    def test_every_icon_the_templates_use_exists_in_dsfr_and_was_copied(self) -> None:
        icons = used_icons()
        assert "arrow-right-line" in icons  # the landing page's call to action
        assert missing_icons((DSFR_PACKAGE / ICONS_CSS).read_text(encoding="utf-8"), icons) == set()
        copied_css = (DSFR_DIR / ICONS_CSS).read_text(encoding="utf-8")
        assert missing_icons(copied_css, icons) == set()
