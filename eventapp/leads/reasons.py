"""Why a lead is at its stage, stored in no one's language and read in the reader's.

A reason eventapp gives itself is stored as a code with its values, as JSON (`{"why": "mql_threshold", "score": 72,
...}`: it fits LeadState.stage_reason's 300 characters and a STAGE_CHANGED activity's meta); an organiser's or
sales' own typed reason is stored as typed. `reason_text()` shows either in the current language."""
import enum
import json

from flask_babel import force_locale
from flask_babel import gettext as _

from eventapp.leads.models import ActivityKind, LeadStage
from eventapp.leads.models.handoff import FeedbackTag

MAX_LENGTH = 300  # LeadState.stage_reason


class Why(enum.StrEnum):
    MQL_THRESHOLD = "mql_threshold"  # score, model, threshold
    HANDED_TO = "handed_to"  # owner: the sales user's name or email then
    HANDED_BY_HAND = "handed_by_hand"
    ENGAGED_BY = "engaged_by"  # kind: the ActivityKind that showed interest
    FEEDBACK = "feedback"  # tag: the FeedbackTag sales answered
    OUTCOME = "outcome"  # stage: the LeadStage sales marked (won, lost)


def system_reason(why: Why, **values) -> str:
    """The stored form of a reason eventapp gives itself (values cut to fit, so the form stays readable JSON)."""
    values = {name: value[:120] if isinstance(value, str) else value for name, value in values.items()}
    return json.dumps({"why": str(why), **values}, ensure_ascii=False, separators=(",", ":"))[:MAX_LENGTH]


def reason_text(stored: str, language: str | None = None) -> str:
    """A stored reason as the reader reads it: a system reason in the current language (or in `language`), a typed
    one as typed."""
    values = _system_values(stored)
    if values is None:
        return stored or ""
    if language:
        with force_locale(language):
            return reason_text(stored)
    try:
        return _SENTENCES[Why(values.pop("why"))](**values)
    except (ValueError, KeyError, TypeError):  # a code or values of a later version: shown as stored
        return stored


def _system_values(stored: str) -> dict | None:
    if not (stored or "").startswith('{"why":'):
        return None
    try:
        values = json.loads(stored)
    except ValueError:
        return None
    return values if isinstance(values, dict) else None


def _mql_threshold(score, model, threshold) -> str:
    return _("score %(score)s reached %(model)s's threshold of %(threshold)s", score=format(score, "g"), model=model,
             threshold=threshold)


_SENTENCES = {
    Why.MQL_THRESHOLD: _mql_threshold,
    Why.HANDED_TO: lambda owner: _("handed to %(owner)s", owner=owner),
    Why.HANDED_BY_HAND: lambda: _("handed to sales by hand"),
    Why.ENGAGED_BY: lambda kind: str(ActivityKind(kind).label),
    Why.FEEDBACK: lambda tag: str(FeedbackTag(tag).label),
    Why.OUTCOME: lambda stage: str(LeadStage(stage).label),
}
