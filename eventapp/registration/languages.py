"""Which of an event's languages a public page speaks (landing page, form, manage page, cancel, already
registered; invitations' pages use it too), and the switch to the event's other language.

The order: the visitor's explicit choice (`?lang=` from the switch, kept in the form's action across the POST),
else the language already known for them (the manage page: their contact's), else their browser's Accept-Language
among the event's languages, else the event's first. A `lang` the event does not offer is ignored."""
from flask import g, request, url_for

from eventapp.core import i18n
from eventapp.events.operations import offered_languages

LANG_ARG = "lang"


def page_language(event, known: str = "") -> str:
    """Decide this request's language for a page of `event`, answer the request in it, and note the switch's
    links; returns the language."""
    offered = offered_languages(event)
    explicit = i18n.normalise_language(request.args.get(LANG_ARG, type=str))
    known = i18n.normalise_language(known)
    chosen = explicit if explicit in offered else known if known in offered else i18n.browser_language(offered)
    i18n.use_language(chosen)
    g.page_languages = (chosen, offered)
    return chosen


def language_query() -> dict:
    """What a page's own form action and redirects carry to stay in its language: {"lang": …} on a page of an
    event with two languages, else nothing (a one-language event needs no choice kept)."""
    chosen, offered = g.get("page_languages") or ("", [])
    return {LANG_ARG: chosen} if len(offered) > 1 else {}


def language_switch() -> list[tuple[str, str, str]]:
    """(language, its name in itself, this page's URL in it) for each other language of the page's event."""
    chosen, offered = g.get("page_languages") or ("", [])
    if len(offered) < 2 or request.endpoint is None:
        return []
    args = {name: value for name, value in request.args.items() if name != LANG_ARG}
    return [(name, i18n.LANGUAGE_NAMES[name],
             url_for(request.endpoint, **(request.view_args or {}), **args, **{LANG_ARG: name}))
            for name in offered if name != chosen]


def language_name(language: str) -> str:
    """A language as people who read it name it ("" for one not known): for pages that show a person's."""
    return i18n.LANGUAGE_NAMES.get(language or "", "")
