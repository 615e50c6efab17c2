"""Open and click tracking of marketing mail: a 1×1 pixel at the end of the HTML (/o/<token>.gif) and every web
link rewritten to a signed redirect (/c/<token>). Both are weak signals: privacy proxies (Apple Mail Privacy
Protection) load every image and link scanners follow every link, so what comes seconds after the send is marked
likely_automated. The signed token carries the target, so /c/ is no open redirect: an altered token goes nowhere."""
import base64
import html
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from eventapp import signals
from eventapp.core.time import utcnow
from eventapp.core.tokens import sign, unsign
from eventapp.extensions import db
from eventapp.messaging.links import public_base_url
from eventapp.messaging.models import EngagementKind, Message, MessageEvent

OPEN_PURPOSE, CLICK_PURPOSE = "open", "click"
# Sooner than this after the send, an open or a click is more likely a machine than the person.
OPENS_LIKELY_AUTOMATED_WITHIN = timedelta(seconds=5)
CLICKS_LIKELY_AUTOMATED_WITHIN = timedelta(seconds=10)
MAX_URL_LENGTH = 2000
MAX_TOKEN_LENGTH = 3000
# Opens and clicks recorded per mail at most: a mail forwarded to a list, or a bot reloading its pixel, must not
# fill the table and the lead's timeline (the first ones say all the report needs).
MAX_EVENTS_PER_MESSAGE = 50
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # 1×1 transparent GIF

# The href of an <a> tag, quoted: only links, never a form's action, an image's src or a data-href.
_LINK = re.compile(r"""(<a\s[^>]*?(?<=\s)href\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def is_web_url(url: str) -> bool:
    """Only http(s) addresses with a host are tracked or redirected to (never javascript:, data:, mailto:...)."""
    if len(url) > MAX_URL_LENGTH or any(character in url for character in "\r\n\t\x00"):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def open_token(message_id: int) -> str:
    return sign(OPEN_PURPOSE, message_id)


def click_token(message_id: int, url: str) -> str:
    return sign(CLICK_PURPOSE, {"m": message_id, "u": url})


def open_url(message_id: int) -> str:
    return f"{public_base_url()}/o/{open_token(message_id)}.gif"


def click_url(message_id: int, url: str) -> str:
    return f"{public_base_url()}/c/{click_token(message_id, url)}"


def track_engagement(html_body: str, message_id: int, untracked: frozenset[str] = frozenset()) -> str:
    """The HTML with each web link turned into a tracked one (except `untracked`, e.g. the unsubscribe link,
    which must work as it is) and the open pixel at the end of the body."""
    def tracked(match: re.Match) -> str:
        url = html.unescape(match.group(3)).strip()
        if url in untracked or not is_web_url(url):
            return match.group(0)
        quote = match.group(2)
        return f"{match.group(1)}{quote}{html.escape(click_url(message_id, url))}{quote}"

    rewritten = _LINK.sub(tracked, html_body)
    pixel = f'<img src="{html.escape(open_url(message_id))}" width="1" height="1" alt="" border="0">'
    ends = list(_BODY_END.finditer(rewritten))
    if not ends:
        return rewritten + pixel
    at = ends[-1].start()
    return rewritten[:at] + pixel + rewritten[at:]


def record_open(token: str) -> None:
    """The pixel was loaded: an open, unless the token is not ours (then nothing; the image is served anyway)."""
    message_id = unsign(OPEN_PURPOSE, token) if len(token) <= MAX_TOKEN_LENGTH else None
    message = _message(message_id)
    if message is not None:
        _record(message, EngagementKind.OPENED, signals.message_opened, OPENS_LIKELY_AUTOMATED_WITHIN)


@dataclass(frozen=True)
class Click:
    """What a tracked link's token says: the mail it is in, and where it leads."""
    message_id: int
    url: str


def click_for(token: str) -> Click | None:
    """The click a token names, or None when it is altered, not ours, or leads anywhere but a web address."""
    value = unsign(CLICK_PURPOSE, token) if len(token) <= MAX_TOKEN_LENGTH else None
    if not isinstance(value, dict) or not isinstance(value.get("u"), str) or not is_web_url(value["u"]):
        return None
    return Click(message_id=value.get("m"), url=value["u"])


def record_click(click: Click) -> None:
    message = _message(click.message_id)
    if message is not None:  # a message erased since still leads where it led, unrecorded
        _record(message, EngagementKind.CLICKED, signals.message_clicked, CLICKS_LIKELY_AUTOMATED_WITHIN,
                url=click.url)


def _message(message_id) -> Message | None:
    if not isinstance(message_id, int) or isinstance(message_id, bool) or not 0 < message_id < 2**31:
        return None
    return db.session.get(Message, message_id)


def _record(message: Message, kind: EngagementKind, signal, automated_within: timedelta, url: str = "") -> None:
    if db.session.execute(_EVENTS_OF_MESSAGE, {"message_id": message.id}).scalar() >= MAX_EVENTS_PER_MESSAGE:
        return
    now = utcnow()
    likely_automated = message.sent_at is not None and now - message.sent_at < automated_within
    db.session.add(MessageEvent(message_id=message.id, kind=kind, url=url, occurred_at=now,
                                likely_automated=likely_automated))
    signal.send(signals.Engagement(
        message_id=message.id, organisation_id=message.organisation_id, contact_id=message.contact_id,
        event_id=message.event_id, kind=message.kind, occurred_at=now, url=url, likely_automated=likely_automated))


_EVENTS_OF_MESSAGE = sa.select(sa.func.count()).where(MessageEvent.message_id == sa.bindparam("message_id"))
