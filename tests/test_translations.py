"""The Chinese catalogue is complete and current, and no template says anything outside _().

docs/translating.md says how to update the catalogue when a text changes (these tests say which)."""
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "eventapp" / "translations"
CATALOGUE = TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOGUE.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2), "_lp": ((1, "c"), 2)}  # as docs/translating.md extracts them
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%%|%[sd]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalogue() -> Catalog:
    with CATALOGUE.open("rb") as f:
        return read_po(f)


def _source_texts() -> set:
    method_map = [("eventapp/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    texts = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(str(ROOT), method_map, {}, KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        texts.add((msgid, context))
    return texts


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def test_every_text_of_the_source_is_in_the_catalogue_and_nothing_else():
    in_catalogue = {(message.id if isinstance(message.id, str) else message.id[0], message.context)
                    for message in _catalogue() if message.id}
    in_source = _source_texts()
    assert len(in_source) > 1000  # the extraction found the texts (a wrong path would find none)
    missing, unused = sorted(in_source - in_catalogue), sorted(in_catalogue - in_source)
    assert not missing, f"{len(missing)} texts are not in the catalogue (docs/translating.md): {missing[:20]}"
    assert not unused, f"{len(unused)} catalogue entries are used nowhere any more: {unused[:20]}"


def _has_words(text: str) -> bool:
    """Whether a text holds words to translate: not only placeholders, code (utm_source) and names of things."""
    words = re.findall(r"[A-Za-z][\w-]*", PLACEHOLDER.sub(" ", text))
    return any("_" not in word and not word.isupper() and word not in SAME_IN_EVERY_LANGUAGE | {"Webhooks"}
               for word in words)


def test_every_entry_is_translated_and_keeps_its_placeholders_and_markup():
    catalogue = _catalogue()
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        msgid = _strings(message.id)[0]
        if message.fuzzy:
            problems.append(("fuzzy", msgid))
        for translation in _strings(message.string):
            if not translation:
                problems.append(("untranslated", msgid))
            elif sorted(PLACEHOLDER.findall(translation)) not in (
                    sorted(PLACEHOLDER.findall(text)) for text in _strings(message.id)):
                problems.append(("placeholders differ", msgid))
            elif sorted(TAG.findall(translation)) != sorted(TAG.findall(msgid)):
                problems.append(("markup differs", msgid))
            elif CJK.search(translation) is None and _has_words(msgid):
                problems.append(("not Chinese", msgid))  # an English sentence copied over
    problems += [("babel check", str(error)) for _message, errors in catalogue.check() for error in errors]
    assert not problems, f"{len(problems)} entries are not ready: {problems[:20]}"


def test_compiled_catalogue_is_the_catalogue():
    """The app reads the .mo; it must be compiled from the .po as it is now (pybabel compile, docs/translating.md)."""
    expected = io.BytesIO()
    write_mo(expected, _catalogue())
    expected.seek(0)
    with COMPILED.open("rb") as f:
        compiled = read_mo(f)
    want = read_mo(expected)
    as_dict = lambda catalogue: {(str(m.id), m.context): str(m.string) for m in catalogue if m.id}  # noqa: E731
    assert as_dict(compiled) == as_dict(want)


# ---- templates: text outside _() ------------------------------------------------------------------------------

JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# Words that read the same in every language: names of formats, units and codes.
SAME_IN_EVERY_LANGUAGE = {"eventapp", "UTC", "CSV", "XLSX", "JSON", "webhook-id", "webhook", "id"}
SHOWN_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label", "label"}


class _TextFinder(HTMLParser):
    """Text a reader sees (element text and the attributes shown or read aloud), with Jinja's parts blanked."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self._check(value)
            elif name == "value" and value and tag == "input" and dict(attrs).get("type") in ("submit", "button"):
                self._check(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        if not self._hidden:
            self._check(data)

    def _check(self, text):
        words = [word for word in WORD.findall(text) if word not in SAME_IN_EVERY_LANGUAGE]
        if words:
            self.found.append(" ".join(text.split())[:120])


def text_outside_gettext(source: str, plain_text: bool) -> list[str]:
    blanked = JINJA.sub(" 0 ", source)  # a Jinja part becomes a neutral token, also inside a tag
    if plain_text:
        return [" ".join(line.split()) for line in blanked.splitlines()
                if any(word not in SAME_IN_EVERY_LANGUAGE for word in WORD.findall(line))]
    finder = _TextFinder()
    finder.feed(blanked)
    finder.close()
    return finder.found


def test_the_checker_finds_text_outside_gettext():
    assert text_outside_gettext('<p>{{ _("Hello") }}</p><a title="{{ _("x") }}">{{ name }}</a>', False) == []
    assert text_outside_gettext("<p>Hello {{ name }}</p>", False) == ["Hello 0"]
    assert text_outside_gettext('<input placeholder="Your name">', False) == ["Your name"]
    assert text_outside_gettext('<tr{% if late %} class="overdue"{% endif %}><td>{{ x }} UTC</td></tr>', False) == []
    assert text_outside_gettext("<script>let hello = 1;</script>", False) == []
    assert text_outside_gettext("{{ _('Hi') }}\nSee you there\n", True) == ["See you there"]


TEMPLATES = sorted(path for path in (ROOT / "templates").rglob("*") if path.suffix in (".html", ".txt"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_template_says_nothing_outside_gettext(path):
    assert text_outside_gettext(path.read_text(encoding="utf-8"), path.suffix == ".txt") == []
