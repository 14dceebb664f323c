"""The shared macros: each field's label, hint, required mark and error tied together, the
error summary's links, and templates that fail loudly on a typo."""

from html.parser import HTMLParser
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader, UndefinedError

from libs.messages.common import Language
from libs.web.templating import create_environment


class Elements(HTMLParser):
    """Start tags with their attributes, and the text inside each element with an id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._open: list[str | None] = []
        self.text: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag not in ("input", "br", "img", "meta", "link"):
            self._open.append(attributes.get("id"))
            if attributes.get("id"):
                self.text[attributes["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag not in ("input", "br", "img", "meta", "link"):
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id:
                self.text[element_id] += data

    def by_id(self, element_id: str) -> dict[str, str]:
        return next(attrs for _, attrs in self.tags if attrs.get("id") == element_id)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(key) == value for key, value in attrs.items())
        ]


IMPORTS = (
    '{% import "web/forms.html" as forms with context %}'
    '{% import "web/components.html" as ui with context %}'
)


def render(source: str, lang: Language = Language.FR, **context: Any) -> Elements:
    """``source`` as a page template of the shared environment, with both macro libraries."""
    environment = create_environment()
    assert environment.loader is not None
    environment.loader = ChoiceLoader(
        [DictLoader({"page.html": IMPORTS + source}), environment.loader]
    )
    page = environment.get_template("page.html").render(lang=lang, csrf_token="tok", **context)
    return Elements(page)


class TestFields:
    def test_an_input_in_error_ties_its_message_and_marks_it_required(self) -> None:
        page = render(
            '{{ forms.input("name", "Nom", required=true, hint="Votre nom", '
            'error="Indiquez-le.") }}'
        )
        control = page.by_id("field-name")
        assert control["required"] == "required" and control["aria-invalid"] == "true"
        assert page.text[control["aria-describedby"]].strip() == "Indiquez-le."
        assert len(page.all("label", **{"for": "field-name"})) == 1
        assert "Votre nom" in page.text["field-name-group"]
        assert "fr-input-group--error" in page.by_id("field-name-group")["class"]
        assert page.all("span", **{"class": "eig-required", "aria-hidden": "true"})

    def test_a_valid_input_keeps_its_value_and_no_error_state(self) -> None:
        page = render('{{ forms.input("email", "Courriel", value="a@b.fr", type="email") }}')
        control = page.by_id("field-email")
        assert control["value"] == "a@b.fr" and control["type"] == "email"
        assert "aria-invalid" not in control and "required" not in control
        assert page.text[control["aria-describedby"]].strip() == ""

    @pytest.mark.parametrize(
        ("lang", "limit"),
        [
            (Language.FR, "2\u00a0000 caractères maximum."),
            (Language.EN, "2,000 characters at most."),
        ],
    )
    def test_a_textarea_says_its_limit_in_words(self, lang: Language, limit: str) -> None:
        page = render(
            '{{ forms.textarea("story", "Parcours", value="Il était une fois", maxlength=2000) }}',
            lang=lang,
        )
        assert page.by_id("field-story")["maxlength"] == "2000"
        assert page.text["field-story"] == "Il était une fois"
        assert limit in page.text["field-story-group"]

    def test_radios_check_the_value_and_the_first_one_carries_the_field_s_id(self) -> None:
        page = render(
            '{{ forms.radios("role", "Rôle", [("a", "A"), ("b", "B", "Aide")], value="b", '
            'error="Choisissez.") }}'
        )
        radios = page.all("input", type="radio", name="role")
        assert [radio["id"] for radio in radios] == ["field-role", "field-role-2"]
        assert [("checked" in radio) for radio in radios] == [False, True]
        fieldset = page.by_id("field-role-fieldset")
        assert fieldset["aria-labelledby"] == "field-role-legend field-role-messages"
        assert "Choisissez." in page.text["field-role-messages"]

    def test_a_select_selects_the_value(self) -> None:
        page = render('{{ forms.select("kind", "Type", [("a", "A"), ("b", "B")], value="b") }}')
        assert [o.get("value") for o in page.all("option") if "selected" in o] == ["b"]

    def test_a_checkbox_keeps_its_state(self) -> None:
        page = render('{{ forms.checkbox("consent", "J’accepte", checked=true) }}')
        assert page.by_id("field-consent")["checked"] == "checked"

    def test_the_error_summary_links_to_each_field(self) -> None:
        page = render(
            '{{ forms.error_summary([("name", "Nom manquant"), ("role", "Rôle manquant")]) }}'
        )
        links = [a["href"] for a in page.all("a")]
        assert links == ["#field-name", "#field-role"]
        assert "Le formulaire contient 2 erreurs" in page.text["error-summary"]

    def test_the_csrf_field_carries_the_page_s_token(self) -> None:
        page = render("{{ forms.csrf_field() }}")
        assert page.all("input", type="hidden", name="csrf_token", value="tok")


class TestComponents:
    def test_pagination_marks_the_current_page_and_disables_what_leads_nowhere(self) -> None:
        page = render('{{ ui.pagination(1, 3, "/list?page=") }}')
        links = page.all("a")
        assert [a.get("href") for a in links if "aria-current" in a] == [None]
        assert [a["title"] for a in links if a.get("aria-current") == "page"] == ["Page 1"]
        assert sum(1 for a in links if a.get("aria-disabled") == "true") == 2  # first, previous
        assert "/list?page=3" in [a.get("href") for a in links]

    def test_tabs_are_links_and_the_current_one_says_so(self) -> None:
        page = render(
            '{% call ui.tabs("Vues", [("A", "/a", true, 3), ("B", "/b", false)]) %}x{% endcall %}'
        )
        tabs = page.all("a", **{"class": "fr-tabs__tab"})
        assert [(tab["href"], tab.get("aria-current")) for tab in tabs] == [
            ("/a", "page"),
            ("/b", None),
        ]

    def test_a_table_is_named_by_its_caption(self) -> None:
        page = render('{{ ui.table("t", "Candidats", ["Nom"], [["Camille"]]) }}')
        container = page.all("div", **{"class": "fr-table__container"})[0]
        assert page.text[container["aria-labelledby"]] == "Candidats"


def test_a_typo_in_a_template_fails_instead_of_rendering_blank() -> None:
    with pytest.raises(UndefinedError):
        render("{{ no_such_variable }}")
