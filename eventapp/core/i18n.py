"""Languages: which ones the product speaks, and which one a request is answered in.

A request's language is decided once, in this order: the language a view chose for its page (`use_language`: an
event's landing page in one of the event's languages, a mail composed in its reader's), else the signed-in user's
(see `user_language`, which accounts registers), else the browser's `Accept-Language` among ours, else English.
Mails and SMS are composed under `flask_babel.force_locale(message language)`, outside any request's choice."""
import functools
from collections.abc import Callable, Iterable

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_babel import refresh

LANGUAGES = ("en", "zh_Hans")
DEFAULT_LANGUAGE = "en"
# Each language named in itself, as a language switcher shows it (not translated).
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}

# accounts sets this: the signed-in user's own language or their organisation's ("" when none or not signed in).
user_language: Callable[[], str] = lambda: ""


def normalise_language(value: str | None) -> str:
    """One of LANGUAGES for a tag a person, a browser or a file gave ("zh", "zh-CN", "zh_Hans", "ZH-hans-cn",
    "en-GB"), or "" for anything else (Traditional Chinese included: no catalogue of ours reads right to it)."""
    text = (value or "").strip().replace("-", "_").lower()
    if not text:
        return ""
    parts = text.split("_")
    if parts[0] == "en":
        return "en"
    if parts[0] == "zh":
        rest = set(parts[1:])
        if rest & {"hant", "tw", "hk", "mo"}:
            return ""
        return "zh_Hans"
    return ""


def event_languages(configured: str, fallback: str) -> list[str]:
    """The languages an event offers, its default first: what its `languages` column says, else `fallback` (the
    organisation's language)."""
    chosen = [name for name in (normalise_language(part) for part in (configured or "").split(",")) if name]
    return list(dict.fromkeys(chosen)) or [normalise_language(fallback) or DEFAULT_LANGUAGE]


def browser_language(offered: Iterable[str]) -> str:
    """The language among `offered` the browser prefers (Accept-Language); the first offered when it names none."""
    offered = list(offered)
    if has_request_context():
        for tag, _quality in request.accept_languages:  # best first
            name = normalise_language(tag)
            if name in offered:
                return name
    return offered[0]


def use_language(name: str) -> None:
    """Answer the rest of this request in `name` (one of LANGUAGES): a view calls it before rendering."""
    g.eventapp_language = normalise_language(name) or DEFAULT_LANGUAGE
    refresh()  # Flask-Babel keeps the locale it chose for the request; it chooses again


def select_locale() -> Locale | None:
    """Flask-Babel's locale selector (see the module's docstring for the order)."""
    if not has_request_context():
        return None  # the default locale, for the command line and the worker
    name = g.get("eventapp_language") or user_language() or browser_language(current_app.config["LANGUAGES"])
    return parsed_locale(name)


@functools.cache
def parsed_locale(name: str) -> Locale:
    # Flask-Babel parses a name it is given on every request; a Locale it takes as it is.
    return Locale.parse(name)
