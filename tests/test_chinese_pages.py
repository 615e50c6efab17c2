"""Every page in Simplified Chinese says nothing in English: each GET route of the app (and each form's answer to
an empty submission) opened by the user it is for, with that user's language, the organisation's and the events'
set to zh_Hans, and every word of English on the page accounted for by the organisation's own data (a name, a
title, an address: what people wrote stays as they wrote it).

The world of rows is the role matrix's (tests/accounts/test_role_matrix.py): every route already has a row to show.
A text rendered outside _() (in a template, a view, a form, an enum's label) shows up here as English."""
import json
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from eventapp.extensions import db as _db
from tests.accounts.test_role_matrix import (BACK_OFFICE, Access, DOOR, PARTNER, PUBLIC, ROUTES, SALES, SIGNED_IN, TWILIO,
                                             _url, _url_rule, world_of)
from tests.accounts.test_role_matrix import db  # noqa: F401  (the module's rows live as long as the module)
from tests.test_translations import SAME_IN_EVERY_LANGUAGE

CODE_VALUE = re.compile(r"[a-z][a-z_]*(:[a-z_]+)?")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# Addresses, paths, file extensions and time zone ids (Europe/Berlin) are codes, the same in every language.
CODES = re.compile(r"\S+@\S+|https?://\S*|[\w.-]*/[\w./%+-]+|[\w-]*\.\w+\b|\b[a-z]+-[a-z-]+\b|`[^`]*`|\{\w+\}|\b[a-z]+:[\w-]+"
                   r"|\b(?:[a-z0-9]{4} ){3,}[a-z0-9]{4}\b")  # a ticket's code, in groups of four
# Who opens a page of each kind of access.
READER = {Access.OWNER: "owner", PUBLIC: "anonymous", SIGNED_IN: "owner", BACK_OFFICE: "owner", DOOR: "owner", PARTNER: "partner",
          SALES: "sales"}
# Words that are names of things in every language (protocols, formats, products), as our Chinese texts keep them.
NAMES = SAME_IN_EVERY_LANGUAGE | {"Webhook", "Webhooks", "QR", "SMS", "API", "HTTPS", "HTTP", "HMAC", "SMTP", "Twilio",
                                  "CRM", "Salesforce", "HubSpot", "Excel", "MQL", "ics", "GBK", "UTF", "Standard",
                                  "utf", "whsec", "Google", "Outlook", "Apple", "iCalendar", "Ctrl",
                                  "English",  # a language switcher names each language in itself
                                  "Markdown", "Director",  # how to write formatting; an example of matching words
                                  "Alex", "Example", "Ltd",  # the made-up person of a mail's preview
                                  "Fang", "Wang"}  # 王芳 written in Latin letters, in the placeholders' examples


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "code", "pre", "textarea"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "alt", "aria-label") and value:
                self.parts.append(value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button") and dict(attrs).get("value"):
            self.parts.append(dict(attrs)["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "code", "pre", "textarea"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data)


def _data_strings() -> list[str]:
    """Every text stored in the database (what organisers, attendees and the tests wrote), longest first."""
    found = set()

    def collect(value):
        if isinstance(value, bytes):  # an uploaded file: its cells are what the organiser wrote
            for cell in re.split(r"[,;\t\r\n]+", value.decode("utf-8", "replace")):
                collect(cell)
        elif isinstance(value, str):
            if value.startswith(("{", "[")):
                try:
                    return collect(json.loads(value))
                except ValueError:
                    pass
            found.add(value.strip())
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(key)
                collect(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)

    with _db.engine.connect() as connection:
        for table in _db.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                collect(list(row))
    # A code stored for the machine ("confirmed", "sms", "unsubscribed") is no one's wording: shown as it is, it is
    # English on the page, so it does not count as data.
    return sorted((text for text in found if len(text) >= 2 and not CODE_VALUE.fullmatch(text)),
                  key=len, reverse=True)


def english_left(html: str, data: list[str]) -> list[str]:
    finder = _VisibleText()
    finder.feed(html)
    # A stored text where it stands as a whole (not "en" inside "eventapp"), the longest first.
    stored = re.compile("(?<![A-Za-z])(?:" + "|".join(map(re.escape, data)) + ")(?![A-Za-z])") if data else None
    left = []
    for part in finder.parts:
        text = CODES.sub(" ", part)
        if stored:
            text = stored.sub(" ", text)
        words = [word for word in WORD.findall(text) if word not in NAMES and not word.isupper()]
        if words:
            left.append(" ".join(part.split())[:100])
    return left


def _in_chinese(everyone: bool) -> None:
    """The organisation, its users, events, contacts and messages read Chinese (a POST's new rows: its events,
    contacts and messages)."""
    tables = _db.metadata.tables
    columns = [("events", "languages"), ("contacts", "language"), ("messages", "language")]
    if everyone:
        columns += [("organisations", "language"), ("users", "language")]
    for table, column in columns:
        _db.session.execute(sa.update(tables[table]).values({column: "zh_Hans"}))
    _db.session.commit()


@pytest.fixture(scope="module")
def world(app):
    with world_of(app) as world:
        with app.app_context():
            _in_chinese(everyone=True)
        for client in world.clients.values():  # what a browser in China says it reads
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
        yield world


# A mail as it was sent (in the language of its reader then), and files that are not pages.
NOT_PAGES = ("/static/", "/dev/mailbox/<int:message_id>/")


def _pages():
    return [(path, method) for path, methods in ROUTES.items() for method, rule in methods.items()
            if rule.access is not TWILIO and not path.startswith(NOT_PAGES)]


@pytest.mark.parametrize("path, method", _pages(), ids=[f"{method} {path}" for path, method in _pages()])
def test_page_in_chinese_has_no_english(world, path, method):
    access_rule = ROUTES[path][method]
    url_rule = _url_rule(world.app, path, method)
    rows = world.shared if method == "GET" else world.make_rows(approval_required=True)
    if method != "GET":
        with world.app.app_context():  # the rows just made are the organisation's too, in Chinese
            _in_chinese(everyone=False)
            data = _data_strings()
    else:
        with world.app.app_context():  # rows other tests made show in lists too
            data = _data_strings()
    url = _url(url_rule, access_rule, rows)
    response = world.request(READER[access_rule.access], method, url)
    if access_rule.ends_session:
        world.sign_in(READER[access_rule.access])
        world.clients[READER[access_rule.access]].environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    assert response.status_code < 500
    if not response.mimetype == "text/html" or response.status_code in (301, 302, 303):
        return  # a download, a redirect, JSON: their own tests say what they say
    left = english_left(response.get_data(as_text=True), data)
    assert not left, "English on the Chinese page:\n" + "\n".join(left)


def test_the_check_finds_english():
    assert english_left("<p>报名</p><p>Acme Events</p>", ["Acme Events"]) == []
    assert english_left("<p>Sign up</p>", []) == ["Sign up"]
    assert english_left('<input type="submit" value="Send">', []) == ["Send"]
    assert english_left("<p>发送至 ada@example.com</p>", []) == []
