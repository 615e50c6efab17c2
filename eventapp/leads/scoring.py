"""Scoring (issue 16, helper "scoring"): rules applied to each new activity and to profile changes, the logged
entries, the decayed score, explanations, rescoring after a rule change (a sweep step with progress).

Used by the other parts of leads (keep these names):
    primary_model(organisation_id) -> ScoreModel | None
    score_expression(model, now) -> SQL expression of the current score (join LeadScore on model_id, contact_id)
    current_scores(contact_id, now=None) -> list[tuple[ScoreModel, float]]
    explain(contact_id, model_id, now=None) -> list of lines, each with .points, .now (decayed), .label, .occurred_at
    rescore_all(model_id, now=None) -> int
    model_setting(organisation_id, model_id) -> ModelSettings | None  (read once per transaction: transaction_memo)

The maths (see models/scoring.py): score(t) = fit + anchor · 2^(−(t − epoch) / h). Entries are written by set-based
INSERT … SELECT statements (one activity, a chunk of contacts, a whole model); one contact's profile is matched in
Python with the same normalisation and word rules (fit_matches), which a test holds to the SQL's result.

Epoch: anchors grow as 2^((t − epoch) / h); when that factor passes 2^40 (40 half-lives: 3.3 years at 30 days)
`rebase_epochs`, a sweep step, moves the epoch to now and scales every anchor of the model in one UPDATE (the
product, hence the score, stays the same); a full rescore also starts from a new epoch.

Erasure: ScoreEntry labels hold an activity kind's name and an event's title, never a person's data, and the rows
go with the contact (ON DELETE CASCADE) when it is deleted, so nothing here needs erasing on contact_erasing."""
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventapp.contacts.models import Contact, ContactTag
from eventapp.core.enums import LabelledEnum
from eventapp.core.statements import dialect_insert
from eventapp.core.time import utcnow
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.leads.models.scoring import (LeadScore, RescoreJob, RescoreStatus, RuleKind, ScoreEntry, ScoreModel,
                                           ScoreRule)
from eventapp.leads.transaction_memo import remembered
from eventapp.messaging.operations import every_sweep
from eventapp.messaging.tasks import run_sweep_now
from eventapp.registration.models import Registration

log = logging.getLogger(__name__)

# Past 2^40 an anchor is rebased (40 half-lives); far below the 2^1023 where a float would overflow.
REBASE_AFTER_HALF_LIVES = 40
LABEL_MAX = 300
RESCORE_CACHE_KIB = 256 * 1024


class FitField(LabelledEnum):
    """What a fit rule may look at: a Contact column, the contact's tags, or (`answer:<id>`) a question's answer."""
    JOB_TITLE = "job_title", _l("Job title")
    COMPANY = "company", _l("Company")
    COMPANY_SIZE = "company_size", _l("Company size")
    INDUSTRY = "industry", _l("Industry")
    CITY = "city", _l("City")
    TAG = "tag", _l("Tag")


ANSWER_PREFIX = "answer:"
# Contact fields sales may require before a lead becomes an MQL.
REQUIRED_FIELD_CHOICES = {"company": _l("Company"), "job_title": _l("Job title"), "phone": _l("Mobile phone"),
                          "company_size": _l("Company size"), "industry": _l("Industry"), "city": _l("City"),
                          "first_name": _l("First name"), "last_name": _l("Last name")}

DEFAULT_MODEL_NAME = "Lead score"
# (field, words, points): seniority, company size bands, industries sales prefer.
DEFAULT_FIT_RULES = [
    (FitField.JOB_TITLE, "CEO, CTO, CFO, CIO, CMO, COO, chief, founder, president, owner, 总裁, 首席, 董事长, "
                         "创始人", 15),
    (FitField.JOB_TITLE, "director, head, VP, vice president, 总监, 总经理, 副总", 10),
    (FitField.JOB_TITLE, "manager, lead, 经理, 主管", 5),
    (FitField.COMPANY_SIZE, "1000+, 1000-4999, 5000+, 10000+, 1001-5000, 5001-10000, 1000人以上", 10),
    (FitField.COMPANY_SIZE, "201-500, 501-1000, 200-499, 500-999, 200+, 500+", 5),
    (FitField.INDUSTRY, "software, SaaS, technology, IT, manufacturing, logistics, 软件, 制造, 物流, 科技", 5),
]
DEFAULT_BEHAVIOUR_RULES = [
    (ActivityKind.EMAIL_OPENED, 1),  # weak: mail apps load images by themselves
    (ActivityKind.LINK_CLICKED, 3),
    (ActivityKind.PAGE_VIEWED, 2),
    (ActivityKind.REGISTERED, 10),
    (ActivityKind.CHECKED_IN, 20),
    (ActivityKind.WALK_IN, 15),
    (ActivityKind.FORWARDED, 5),
    (ActivityKind.NO_SHOW, -10),
    (ActivityKind.INVITATION_DECLINED, -2),
    (ActivityKind.UNSUBSCRIBED, -40),
]

_ENTRIES, _SCORES, _RULES = ScoreEntry.__table__, LeadScore.__table__, ScoreRule.__table__


# ---- the models --------------------------------------------------------------------------------------------------

def models_of(organisation_id: int) -> list[ScoreModel]:
    return list(db.session.scalars(sa.select(ScoreModel).where(ScoreModel.organisation_id == organisation_id)
                                   .order_by(ScoreModel.is_primary.desc(), ScoreModel.id)))


def primary_model(organisation_id: int) -> ScoreModel | None:
    """The model lists, exports and the MQL rule use: the one marked primary, else the oldest (None: no model yet;
    the default one is made at the organisation's first activity or first visit to the settings)."""
    models = models_of(organisation_id)
    return models[0] if models else None


def ensure_default_model(organisation_id: int) -> None:
    """The organisation's default model with its default rules, made once, the first time anything needs it (two
    first needs at once make one: the second insert does nothing)."""
    if db.session.scalar(sa.select(ScoreModel.id).where(ScoreModel.organisation_id == organisation_id).limit(1)):
        return
    model_id = db.session.execute(
        dialect_insert(ScoreModel).values(organisation_id=organisation_id, name=DEFAULT_MODEL_NAME, is_primary=True,
                                          half_life_days=30.0, mql_threshold=50,
                                          required_fields=["company", "job_title"], epoch=utcnow(),
                                          rules_changed_at=utcnow(), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["organisation_id", "name"]).returning(ScoreModel.id)).scalar()
    if model_id is None:
        return
    rules = [{"kind": RuleKind.FIT, "field": field, "pattern": words, "activity_kind": "", "points": points}
             for field, words, points in DEFAULT_FIT_RULES]
    rules += [{"kind": RuleKind.BEHAVIOUR, "field": "", "pattern": "", "activity_kind": kind, "points": points}
              for kind, points in DEFAULT_BEHAVIOUR_RULES]
    db.session.execute(sa.insert(_RULES), [{**rule, "model_id": model_id, "position": index}
                                           for index, rule in enumerate(rules)])


def decay_factor(model: "ScoreModel | ModelSettings", now: datetime) -> float:
    """2^(−(now − epoch) / h): what every anchor of the model is multiplied by at `now`."""
    return 2.0 ** (-_half_lives(model, model.epoch, now))


def _half_lives(model: "ScoreModel | ModelSettings", start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / (model.half_life_days * 86400.0)


def score_expression(model: ScoreModel, now: datetime):
    """The score at `now` as SQL over LeadScore (join it on model_id and contact_id): one factor for the model."""
    return LeadScore.fit + LeadScore.anchor * sa.literal(decay_factor(model, now), sa.Float)


def current_scores(contact_id: int, now: datetime | None = None) -> list[tuple[ScoreModel, float]]:
    """Each model of the contact's organisation with the contact's score in it at `now` (0 for nothing yet)."""
    now = now or utcnow()
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        return []
    stored = {row.model_id: row for row in db.session.scalars(
        sa.select(LeadScore).where(LeadScore.contact_id == contact_id))}
    return [(model, _value(model, stored.get(model.id), now)) for model in models_of(contact.organisation_id)]


def _value(model: ScoreModel, score: LeadScore | None, now: datetime) -> float:
    return 0.0 if score is None else score.fit + score.anchor * decay_factor(model, now)


@dataclass(frozen=True)
class ExplanationLine:
    points: int  # as logged
    now: float  # what it is worth at the time asked about (fit: the same)
    label: str
    occurred_at: datetime | None  # None: profile fit, which does not decay


def explain(contact_id: int, model_id: int, now: datetime | None = None) -> list[ExplanationLine]:
    """The contact's score in the model, line by line: the profile fit first, then behaviour newest first. The sum
    of `.now` is the score at `now`."""
    now = now or utcnow()
    model = db.session.get(ScoreModel, model_id)
    entries = db.session.execute(sa.select(ScoreEntry.points, ScoreEntry.label, ScoreEntry.occurred_at).where(
        ScoreEntry.model_id == model_id, ScoreEntry.contact_id == contact_id).order_by(
        ScoreEntry.occurred_at.is_not(None), ScoreEntry.occurred_at.desc(), ScoreEntry.id.desc())).all()
    return [ExplanationLine(points, _worth(model, points, occurred_at, now), label, occurred_at)
            for points, label, occurred_at in entries]


def _worth(model: ScoreModel, points: int, occurred_at: datetime | None, now: datetime) -> float:
    if occurred_at is None:
        return float(points)
    return points * 2.0 ** (-_half_lives(model, occurred_at, now))


# ---- the statements every path uses --------------------------------------------------------------------------------

# Punctuation read as a space between words; '"', '[' and ']' too: an answer is read as JSON text ("Budgets" or
# ["Budgets", "Attribution"]).
_MARKS = (",", "/", "-", "(", ")", ";", "&", "|", ".", ":", '"', "[", "]", "，", "、", "（", "）")


def _normalised(text):
    """SQL: a text as words are looked for in it: lower case, punctuation as spaces, a space at either end."""
    for mark in _MARKS:
        text = sa.func.replace(text, mark, " ")
    return sa.literal(" ") + sa.func.lower(text) + sa.literal(" ")


def _normalised_here(text: str) -> str:
    """_normalised for one contact in Python (the same steps; PostgreSQL's lower case, which SQLite's lower() only
    does for ASCII letters)."""
    for mark in _MARKS:
        text = text.replace(mark, " ")
    return f" {text.lower()} "


def _word_key(word: str) -> str:
    key = word.lower()
    for mark in ("-", "/", ".", "&"):
        key = key.replace(mark, " ")
    return " ".join(key.split())


def _word_pattern(word: str) -> str:
    """The LIKE pattern for one word: a Latin word matches whole words only (CTO is not in 'director'), a Chinese
    one anywhere (Chinese is written without spaces)."""
    key = _word_key(word).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {key} %" if key.isascii() else f"%{key}%"


def _word_in(word: str, normalised_text: str) -> bool:
    """_word_pattern's match, in Python."""
    key = _word_key(word)
    return f" {key} " in normalised_text if key.isascii() else key in normalised_text


def rule_words(pattern: str) -> list[str]:
    return [word.strip() for word in pattern.replace("，", ",").split(",") if word.strip()]


def _field_matches(field: str, word: str, contact_id, text):
    """SQL: the contact has the word in the field (`text`: the field's normalised text, for a Contact column)."""
    like = _word_pattern(word)
    if field == FitField.TAG:
        return sa.exists().where(ContactTag.contact_id == contact_id,
                                 _normalised(ContactTag.tag).like(like, escape="\\"))
    if field.startswith(ANSWER_PREFIX):
        answer = sa.cast(Registration.answers[field.removeprefix(ANSWER_PREFIX)], sa.String)
        return sa.exists().where(Registration.contact_id == contact_id,
                                 _normalised(sa.func.coalesce(answer, "")).like(like, escape="\\"))
    return text.like(like, escape="\\")


def field_label(field: str) -> str:
    if field.startswith(ANSWER_PREFIX):
        return _("Answer to question %(id)s", id=field.removeprefix(ANSWER_PREFIX))
    try:
        return str(FitField(field).label)
    except ValueError:
        return field


# Each rule's statement is built once and kept (keyed by everything it is made of): building and compiling the
# normalisation and the words' CASE took 130 ms of every sign-up; run again, it costs its execution only.
_STATEMENTS: dict = {}
_STATEMENTS_MAX = 1000
# `by`: which contacts or activities a statement is for, as bound parameters.
BY_IDS, BY_RANGE, BY_ACTIVITY = "ids", "range", "activity"
ALL_IDS = {"low": 0, "high": 2 ** 31 - 1}  # the largest id an INTEGER column holds (PostgreSQL)


def _kept(key: tuple, build):
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = build()
    return statement


def _chosen(by: str, column):
    if by == BY_IDS:
        return column.in_(sa.bindparam("ids", expanding=True))
    if by == BY_ACTIVITY:
        return LeadActivity.id == sa.bindparam("activity_id")
    return sa.and_(column > sa.bindparam("low"), column <= sa.bindparam("high"))


def _insert_fit_entries(model: ScoreModel, by: str, params: dict) -> None:
    """One entry per fit rule a contact matches (the first of its words that matches names it)."""
    for rule in model.rules:
        words = rule_words(rule.pattern)
        if rule.kind != RuleKind.FIT or not words:
            continue
        label = f"{field_label(rule.field)}: "
        key = ("fit", by, model.id, model.organisation_id, rule.id, rule.field, tuple(words), rule.points, label)
        db.session.execute(_kept(key, lambda: _fit_statement(model, rule, words, label, by)), params)


def _fit_statement(model: ScoreModel, rule: ScoreRule, words: list[str], label: str, by: str):
    """Each contact's text normalised once and each word tried once (materialised steps: SQLite would otherwise
    repeat the normalisation for every word, which made a 100,000-contact rescore ten times slower)."""
    column = getattr(Contact, rule.field, None) if rule.field in set(FitField) - {FitField.TAG} else None
    text = _normalised(sa.func.coalesce(column, "")) if column is not None else sa.literal("")
    chosen = sa.select(Contact.id.label("contact_id"), text.label("text")).where(
        Contact.organisation_id == model.organisation_id, _chosen(by, Contact.id)).cte("fit_text") \
        .prefix_with("MATERIALIZED")
    matched = sa.select(chosen.c.contact_id, sa.case(*[
        (_field_matches(rule.field, word, chosen.c.contact_id, chosen.c.text), sa.literal(word))
        for word in words]).label("word")).cte("fit_word").prefix_with("MATERIALIZED")
    entries = sa.select(sa.literal(model.id), matched.c.contact_id, sa.literal(rule.id), sa.literal(rule.points),
                        sa.func.substr(sa.literal(label) + matched.c.word, 1, LABEL_MAX)).where(
        matched.c.word.is_not(None))
    return sa.insert(_ENTRIES).from_select(["model_id", "contact_id", "rule_id", "points", "label"], entries)


def _insert_behaviour_entries(model: "ScoreModel | ModelSettings", by: str, params: dict) -> None:
    """One entry per activity a behaviour rule of the model counts, labelled with the kind and the event."""
    locale = str(get_locale())
    statement = _kept(("behaviour", by, model.id, model.organisation_id, locale), lambda: _behaviour_statement(
        model, {str(kind): str(kind.label) for kind in ActivityKind}, by))
    db.session.execute(statement, params)


def _behaviour_statement(model: "ScoreModel | ModelSettings", names: dict, by: str):
    label = sa.case(names, value=ScoreRule.activity_kind, else_=ScoreRule.activity_kind) + sa.func.coalesce(
        sa.literal(" · ") + Event.title, "")
    chosen = (sa.select(sa.literal(model.id), LeadActivity.contact_id, ScoreRule.id, LeadActivity.id,
                        ScoreRule.points, LeadActivity.occurred_at, sa.func.substr(label, 1, LABEL_MAX))
              .join(ScoreRule, sa.and_(ScoreRule.model_id == model.id, ScoreRule.kind == RuleKind.BEHAVIOUR,
                                       ScoreRule.activity_kind == LeadActivity.kind))
              .outerjoin(Event, Event.id == LeadActivity.event_id)
              .where(LeadActivity.organisation_id == model.organisation_id, _chosen(by, LeadActivity.contact_id))
              # in the order of the entries' contact indexes: a third faster for a whole model on SQLite
              .order_by(LeadActivity.contact_id))
    return sa.insert(_ENTRIES).from_select(
        ["model_id", "contact_id", "rule_id", "activity_id", "points", "occurred_at", "label"], chosen)


def _days_since_epoch(model: ScoreModel, column):
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", column - sa.literal(model.epoch)) / 86400.0
    return sa.func.julianday(column) - sa.func.julianday(sa.literal(_sqlite_time(model.epoch)))


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _store_scores(model: ScoreModel, within, now: datetime) -> None:
    """LeadScore rows of the contacts `within(contact id column)` made again from their entries: fit = Σ fit
    points, anchor = Σ points · 2^((occurred_at − epoch) / h)."""
    db.session.execute(sa.delete(_SCORES).where(_SCORES.c.model_id == model.id, within(_SCORES.c.contact_id)))
    growth = sa.func.pow(2.0, _days_since_epoch(model, ScoreEntry.occurred_at) / model.half_life_days)
    totals = sa.select(
        sa.literal(model.id), ScoreEntry.contact_id,
        sa.func.coalesce(sa.func.sum(sa.case((ScoreEntry.occurred_at.is_(None), ScoreEntry.points), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((ScoreEntry.occurred_at.is_not(None), ScoreEntry.points * growth),
                                             else_=0.0)), 0.0),
        sa.literal(now, LeadScore.updated_at.type),
    ).where(ScoreEntry.model_id == model.id, within(ScoreEntry.contact_id)).group_by(ScoreEntry.contact_id)
    db.session.execute(sa.insert(_SCORES).from_select(["model_id", "contact_id", "fit", "anchor", "updated_at"],
                                                      totals))


def _rescore_contacts(model: ScoreModel, low_id: int, high_id: int | None, now: datetime) -> None:
    """Every entry and score of the model for the contacts with low_id < id <= high_id (None: no upper end),
    deleted and made again from the rules, the profiles and the timeline."""
    high_id = ALL_IDS["high"] if high_id is None else high_id

    def within(column):
        return sa.and_(column > low_id, column <= high_id)

    db.session.execute(sa.delete(_ENTRIES).where(_ENTRIES.c.model_id == model.id, within(_ENTRIES.c.contact_id)))
    _insert_fit_entries(model, BY_RANGE, {"low": low_id, "high": high_id})
    _insert_behaviour_entries(model, BY_RANGE, {"low": low_id, "high": high_id})
    _store_scores(model, within, now)


def rescore_all(model_id: int, now: datetime | None = None) -> int:
    """Recompute every score of the model at once, from a new epoch (set-based: a handful of statements whatever
    the number of contacts); the number of contacts with a score. The caller commits."""
    now = now or utcnow()
    model = db.session.get(ScoreModel, model_id)
    model.epoch = now
    db.session.flush()
    with _large_page_cache():
        _rescore_contacts(model, 0, None, now)
    return db.session.scalar(sa.select(sa.func.count()).select_from(_SCORES).where(_SCORES.c.model_id == model_id))


@contextmanager
def _large_page_cache():
    """SQLite's page cache raised for one big statement series (a million entries' index pages), then put back:
    the default 2 MB made a full rescore spend most of its time re-reading index pages."""
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    previous = db.session.execute(sa.text("PRAGMA cache_size")).scalar()
    db.session.execute(sa.text(f"PRAGMA cache_size={-RESCORE_CACHE_KIB}"))
    try:
        yield
    finally:
        db.session.execute(sa.text(f"PRAGMA cache_size={int(previous)}"))


# ---- one activity, one contact -------------------------------------------------------------------------------------

def score_activity(organisation_id: int, contact_id: int, activity_id: int, kind: str, occurred_at: datetime
                   ) -> list[tuple[int, float]]:
    """The behaviour rules of every model of the organisation applied to one new activity; (model id, score now)
    of each model whose score it raised."""
    matched = [(model, rule.points) for model in model_settings(organisation_id) for rule in model.rules
               if rule.kind == RuleKind.BEHAVIOUR and rule.activity_kind == kind]
    now = utcnow()
    risen = []
    for model, points in matched:
        _insert_behaviour_entries(model, BY_ACTIVITY, {"activity_id": activity_id})
        growth = points * 2.0 ** _half_lives(model, model.epoch, occurred_at)
        fit, anchor = db.session.connection().execute(
            _kept(("add to anchor", db.session.get_bind().dialect.name), _add_to_anchor_statement),
            {"model_id": model.id, "contact_id": contact_id, "growth": growth, "now": now}).one()
        if points > 0:
            risen.append((model.id, fit + anchor * decay_factor(model, now)))
    return risen


def _add_to_anchor_statement():
    """The score's row made with the growth as its anchor, or the growth added to its anchor; gives back fit and
    anchor. Built once (a Core statement: building the upsert and the ORM's bulk path for every activity cost
    more than running it)."""
    statement = dialect_insert(_SCORES).values(
        model_id=sa.bindparam("model_id"), contact_id=sa.bindparam("contact_id"), fit=0,
        anchor=sa.bindparam("growth", type_=_SCORES.c.anchor.type),
        updated_at=sa.bindparam("now", type_=_SCORES.c.updated_at.type))
    return statement.on_conflict_do_update(
        index_elements=[_SCORES.c.model_id, _SCORES.c.contact_id],
        set_={"anchor": _SCORES.c.anchor + statement.excluded.anchor, "updated_at": statement.excluded.updated_at},
    ).returning(_SCORES.c.fit, _SCORES.c.anchor)


@dataclass(frozen=True)
class RuleSettings:
    """A rule as scoring one activity or one profile reads it (not an ORM object: kept for the transaction)."""
    id: int
    kind: str
    field: str
    pattern: str
    activity_kind: str
    points: int


@dataclass(frozen=True)
class ModelSettings:
    """A model with its rules (in their order) as scoring one activity or one profile and the MQL rule read it."""
    id: int
    organisation_id: int
    name: str
    epoch: datetime
    half_life_days: float
    mql_threshold: int
    required_fields: tuple
    rules: tuple[RuleSettings, ...]


def model_settings(organisation_id: int) -> list[ModelSettings]:
    """The organisation's models with their rules (primary first, as models_of), read once per transaction
    (transaction_memo says when it is read again); the default model is made first if it has none."""
    models = remembered(("score models", organisation_id), lambda: _read_model_settings(organisation_id))
    if not models:
        ensure_default_model(organisation_id)  # its INSERTs through the session make the memo read again
        models = remembered(("score models", organisation_id), lambda: _read_model_settings(organisation_id))
    return models


def model_setting(organisation_id: int, model_id: int) -> ModelSettings | None:
    """One model of the organisation (None: not one of its models)."""
    return next((model for model in model_settings(organisation_id) if model.id == model_id), None)


def _read_model_settings(organisation_id: int) -> list[ModelSettings]:
    """One statement: every model of the organisation joined with its rules."""
    models, rules = {}, {}
    for row in db.session.connection().execute(_MODELS_WITH_RULES, {"organisation_id": organisation_id}):
        models.setdefault(row.id, row)
        rules.setdefault(row.id, [])
        if row.rule_id is not None:
            rules[row.id].append(RuleSettings(row.rule_id, row.kind, row.field, row.pattern, row.activity_kind,
                                              row.points))
    return [ModelSettings(row.id, row.organisation_id, row.name, row.epoch, row.half_life_days, row.mql_threshold,
                          tuple(row.required_fields or ()), tuple(rules[model_id]))
            for model_id, row in models.items()]


_MODELS = ScoreModel.__table__
# Core, on the tables: nothing of it is an ORM object (remembered() flushes the session's waiting changes first).
_MODELS_WITH_RULES = sa.select(
    _MODELS.c.id, _MODELS.c.organisation_id, _MODELS.c.name, _MODELS.c.epoch, _MODELS.c.half_life_days,
    _MODELS.c.mql_threshold, _MODELS.c.required_fields, _RULES.c.id.label("rule_id"), _RULES.c.kind, _RULES.c.field,
    _RULES.c.pattern, _RULES.c.activity_kind, _RULES.c.points,
).outerjoin(_RULES, _RULES.c.model_id == _MODELS.c.id).where(
    _MODELS.c.organisation_id == sa.bindparam("organisation_id")).order_by(
    _MODELS.c.is_primary.desc(), _MODELS.c.id, _RULES.c.position, _RULES.c.id)


def rescore_fit(organisation_id: int, contact_ids: sa.Select | list[int], *, new: bool = False
                ) -> list[tuple[int, int, float]]:
    """The profile fit of these contacts made again in every model of the organisation (their profile changed;
    `new`: they were just made, so nothing of theirs is stored yet); (contact id, model id, score now) of each
    score that rose."""
    settings = model_settings(organisation_id)  # the default model is made first if there is none
    if isinstance(contact_ids, sa.Select):
        contact_ids = list(db.session.scalars(contact_ids))
    now, risen = utcnow(), []
    if len(contact_ids) == 1:  # one profile (a sign-up, an edit): matched here, a few statements instead of 20
        return _rescore_one_fit(settings, contact_ids[0], now, new)
    models = models_of(organisation_id)
    for start in range(0, len(contact_ids), FIT_BATCH):
        batch = contact_ids[start:start + FIT_BATCH]
        for model in models:
            risen += _rescore_fit_batch(model, batch, now)
    return risen


FIT_BATCH = 500  # ids bound into one statement (SQLite takes 32,766 at most)


def fit_matches(model: "ScoreModel | ModelSettings", contact: Contact) -> list[tuple["ScoreRule | RuleSettings", str]]:
    """The model's fit rules the contact matches, each with the first of its words that does (as the set-based
    statements find them)."""
    texts, matches = {}, []
    for rule in model.rules:
        words = rule_words(rule.pattern)
        if rule.kind != RuleKind.FIT or not words:
            continue
        if rule.field not in texts:
            texts[rule.field] = _field_texts(contact, rule.field)
        word = next((word for word in words if any(_word_in(word, text) for text in texts[rule.field])), None)
        if word is not None:
            matches.append((rule, word))
    return matches


def _field_texts(contact: Contact, field: str) -> list[str]:
    if field == FitField.TAG:
        return [_normalised_here(row.tag) for row in contact.tags]
    if field.startswith(ANSWER_PREFIX):
        key = field.removeprefix(ANSWER_PREFIX)
        answers = db.session.scalars(sa.select(Registration.answers).where(Registration.contact_id == contact.id))
        return [_normalised_here(json.dumps(given[key], ensure_ascii=False)) for given in answers
                if given and given.get(key) is not None]
    return [_normalised_here(getattr(contact, field, "") or "")] if field in set(FitField) else []


def _rescore_one_fit(models: list[ModelSettings], contact_id: int, now: datetime, new: bool = False
                     ) -> list[tuple[int, int, float]]:
    contact = db.session.get(Contact, contact_id)
    stored = [] if new else _stored_fit(contact_id)
    risen = []
    for model in models:
        wanted = [{"model_id": model.id, "contact_id": contact_id, "rule_id": rule.id, "points": rule.points,
                   "label": f"{field_label(rule.field)}: {word}"[:LABEL_MAX]}
                  for rule, word in fit_matches(model, contact)]
        had = [row for row in stored if row.model_id == model.id]
        if sorted((row["rule_id"], row["points"], row["label"]) for row in wanted) == sorted(
                (row.rule_id, row.points, row.label) for row in had):
            continue
        if had:
            db.session.execute(sa.delete(_ENTRIES).where(_ENTRIES.c.model_id == model.id,
                                                         _ENTRIES.c.contact_id == contact_id,
                                                         _ENTRIES.c.occurred_at.is_(None)))
        if wanted:
            db.session.execute(sa.insert(_ENTRIES), wanted)
        fit, before = sum(row["points"] for row in wanted), sum(row.points for row in had)
        anchor = db.session.connection().execute(_kept(("set fit", db.session.get_bind().dialect.name),
                                                        _set_fit_statement), {
            "model_id": model.id, "contact_id": contact_id, "fit": fit, "anchor": 0.0, "updated_at": now}).scalar_one()
        if fit > before:
            risen.append((contact_id, model.id, fit + anchor * decay_factor(model, now)))
    return risen


def _stored_fit(contact_id: int) -> list:
    return db.session.execute(sa.select(ScoreEntry.model_id, ScoreEntry.rule_id, ScoreEntry.points, ScoreEntry.label)
                              .where(ScoreEntry.contact_id == contact_id, ScoreEntry.occurred_at.is_(None))).all()


def _set_fit_statement():
    """LeadScore.fit set (the row made when there is none); gives back the anchor. Core, on the table: no ORM
    object of it is ever changed, and the ORM's bulk path cost more than the statement."""
    statement = dialect_insert(_SCORES)
    return statement.on_conflict_do_update(
        index_elements=[_SCORES.c.model_id, _SCORES.c.contact_id],
        set_={"fit": statement.excluded.fit, "updated_at": statement.excluded.updated_at}).returning(_SCORES.c.anchor)




def _rescore_fit_batch(model: ScoreModel, contact_ids: list[int], now: datetime) -> list[tuple[int, int, float]]:
    before = dict(db.session.execute(sa.select(LeadScore.contact_id, LeadScore.fit).where(
        LeadScore.model_id == model.id, LeadScore.contact_id.in_(contact_ids))).all())
    db.session.execute(sa.delete(_ENTRIES).where(_ENTRIES.c.model_id == model.id, _ENTRIES.c.occurred_at.is_(None),
                                                 _ENTRIES.c.contact_id.in_(contact_ids)))
    _insert_fit_entries(model, BY_IDS, {"ids": contact_ids})
    fits = dict(db.session.execute(sa.select(ScoreEntry.contact_id, sa.func.sum(ScoreEntry.points)).where(
        ScoreEntry.model_id == model.id, ScoreEntry.occurred_at.is_(None), ScoreEntry.contact_id.in_(contact_ids))
        .group_by(ScoreEntry.contact_id)).all())
    changed = [{"model_id": model.id, "contact_id": contact_id, "fit": fits.get(contact_id, 0), "anchor": 0.0,
                "updated_at": now} for contact_id in contact_ids if fits.get(contact_id, 0) != before.get(contact_id)]
    if changed:
        statement = dialect_insert(LeadScore)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["model_id", "contact_id"],
            set_={"fit": statement.excluded.fit, "updated_at": statement.excluded.updated_at}), changed)
    risen = [row["contact_id"] for row in changed if row["fit"] > before.get(row["contact_id"], 0)]
    if not risen:
        return []
    return [(contact_id, model.id, score) for contact_id, score in db.session.execute(
        sa.select(LeadScore.contact_id, score_expression(model, now)).where(
            LeadScore.model_id == model.id, LeadScore.contact_id.in_(risen))).all()]


# ---- rescoring in the background ------------------------------------------------------------------------------------

CHUNK_CONTACTS = 2000


def start_rescore(model: ScoreModel, user_id: int | None = None) -> RescoreJob:
    """The model's rules changed: recompute everyone from the next sweep. A job still running for the model is
    ended (the new one covers everyone again, with the rules as they are now; a worker in the middle of a chunk of
    the old one finds it ended and throws its chunk away)."""
    model.rules_changed_at = utcnow()
    db.session.execute(sa.update(RescoreJob).where(RescoreJob.model_id == model.id,
                                                   RescoreJob.status == RescoreStatus.RUNNING).values(
        status=RescoreStatus.FAILED, error=_("Replaced by a newer change of the rules.")[:300], finished_at=utcnow(),
        locked_until=None))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(
        Contact.organisation_id == model.organisation_id))
    job = RescoreJob(model_id=model.id, status=RescoreStatus.RUNNING, total=total, done=0, last_contact_id=0,
                     started_by_user_id=user_id)
    db.session.add(job)
    db.session.flush()
    return job


def latest_job(model_id: int) -> RescoreJob | None:
    return db.session.scalars(sa.select(RescoreJob).where(RescoreJob.model_id == model_id)
                              .order_by(RescoreJob.id.desc()).limit(1)).first()


def runnable_jobs(now: datetime) -> list[int]:
    return list(db.session.scalars(sa.select(RescoreJob.id).where(
        RescoreJob.status == RescoreStatus.RUNNING,
        sa.or_(RescoreJob.locked_until.is_(None), RescoreJob.locked_until < now)).order_by(RescoreJob.id)))


def claim(job_id: int, lease_seconds: int) -> bool:
    """Hold the job for a while (False: another worker holds it, or it is gone or finished)."""
    now = utcnow()
    claimed = db.session.execute(sa.update(RescoreJob).where(
        RescoreJob.id == job_id, RescoreJob.status == RescoreStatus.RUNNING,
        sa.or_(RescoreJob.locked_until.is_(None), RescoreJob.locked_until < now))
        .values(locked_until=now + timedelta(seconds=lease_seconds)).returning(RescoreJob.id)).scalar()
    db.session.commit()
    return claimed is not None


def run_chunk(job_id: int, lease_seconds: int, size: int = CHUNK_CONTACTS) -> bool:
    """Recompute the next `size` contacts of the job and commit; True when the job is finished (or gone)."""
    job = db.session.get(RescoreJob, job_id)
    if job is None or job.status != RescoreStatus.RUNNING:
        return True
    model = db.session.get(ScoreModel, job.model_id)
    low = job.last_contact_id
    ids = list(db.session.scalars(sa.select(Contact.id).where(
        Contact.organisation_id == model.organisation_id, Contact.id > low).order_by(Contact.id).limit(size)))
    now = utcnow()
    if not ids:
        job.status, job.finished_at, job.done, job.locked_until = RescoreStatus.DONE, now, job.total, None
        db.session.commit()
        return True
    high = ids[-1]
    before = _scores_between(model, low, high, now)
    _rescore_contacts(model, low, high, now)
    # Only if the job is still this one (a newer rule change dropped it: the chunk's work goes too).
    moved = db.session.execute(sa.update(RescoreJob).where(RescoreJob.id == job_id, RescoreJob.last_contact_id == low,
                                                           RescoreJob.status == RescoreStatus.RUNNING).values(
        last_contact_id=high, done=RescoreJob.done + len(ids), locked_until=now + timedelta(seconds=lease_seconds))
        .returning(RescoreJob.id)).scalar()
    if moved is None:
        db.session.rollback()
        return True
    _tell_stages_of_rises(model, before, _scores_between(model, low, high, now), now)
    db.session.commit()
    return False


def _scores_between(model: ScoreModel, low: int, high: int, now: datetime) -> dict[int, float]:
    value = score_expression(model, now)
    return dict(db.session.execute(sa.select(LeadScore.contact_id, value).where(
        LeadScore.model_id == model.id, LeadScore.contact_id > low, LeadScore.contact_id <= high)).all())


def _tell_stages_of_rises(model: ScoreModel, before: dict, after: dict, now: datetime) -> None:
    from eventapp.leads import stages

    for contact_id, score in after.items():
        if score > before.get(contact_id, 0.0) + 1e-9:
            stages.score_changed(model.organisation_id, contact_id, model.id, score, now)


def fail(job_id: int, message: str) -> None:
    db.session.rollback()
    db.session.execute(sa.update(RescoreJob).where(RescoreJob.id == job_id).values(
        status=RescoreStatus.FAILED, error=message[:300], finished_at=utcnow(), locked_until=None))
    db.session.commit()


def rebase_epochs(now: datetime | None = None) -> int:
    """Move the epoch of every model whose anchors passed 2^40 to now, scaling its anchors in one UPDATE so every
    score stays the same; how many models moved. A model being rescored waits for its job to finish."""
    now = now or utcnow()
    moved = 0
    running = sa.select(RescoreJob.model_id).where(RescoreJob.status == RescoreStatus.RUNNING)
    for model in db.session.scalars(sa.select(ScoreModel).where(ScoreModel.id.not_in(running))):
        if _half_lives(model, model.epoch, now) <= REBASE_AFTER_HALF_LIVES:
            continue
        factor = decay_factor(model, now)
        db.session.execute(sa.update(_SCORES).where(_SCORES.c.model_id == model.id)
                           .values(anchor=_SCORES.c.anchor * factor))
        model.epoch = now
        moved += 1
    db.session.flush()
    return moved



SECONDS_PER_SWEEP = 15
LEASE_SECONDS = 120


@every_sweep
def continue_rescores() -> None:
    """Chunks of each running rescore nobody holds, within the sweep's time; moves old epochs forward."""
    stop_at = time.monotonic() + SECONDS_PER_SWEEP
    for job_id in runnable_jobs(utcnow()):
        if not claim(job_id, LEASE_SECONDS):
            continue  # another worker has it
        try:
            while not run_chunk(job_id, LEASE_SECONDS):
                if time.monotonic() > stop_at:
                    run_sweep_now()  # the rest at once, not in a minute
                    return
        except Exception:  # noqa: BLE001  (a bug must fail this job once, not at every sweep for ever)
            log.exception("rescore %s failed", job_id)
            fail(job_id, _("Recomputing stopped because of an error on our side. Save a rule again to retry."))
    rebase_epochs()


# ---- the settings: what an organiser changes -------------------------------------------------------------------------

def add_model(organisation_id: int, values: dict) -> ScoreModel:
    """Another score (e.g. per product line), starting with no rules."""
    model = ScoreModel(organisation_id=organisation_id, epoch=utcnow(), **_model_values(values))
    db.session.add(model)
    db.session.flush()
    if model.is_primary or primary_model(organisation_id) is None:
        make_primary(model)
    return model


def update_model(model: ScoreModel, values: dict, user_id: int | None = None) -> RescoreJob | None:
    """The model's settings; a new half-life recomputes everyone (the job), the rest takes effect at once."""
    values = _model_values(values)
    half_life_changed = values["half_life_days"] != model.half_life_days
    for name, value in values.items():
        if name != "is_primary":
            setattr(model, name, value)
    if values["is_primary"]:
        make_primary(model)
    return start_rescore(model, user_id) if half_life_changed else None


def _model_values(values: dict) -> dict:
    return {"name": values["name"], "is_primary": bool(values.get("is_primary")),
            "half_life_days": float(values["half_life_days"]), "mql_threshold": int(values["mql_threshold"]),
            "required_fields": [name for name in values.get("required_fields") or () if name in REQUIRED_FIELD_CHOICES]}


def make_primary(model: ScoreModel) -> None:
    db.session.execute(sa.update(ScoreModel).where(ScoreModel.organisation_id == model.organisation_id,
                                                   ScoreModel.id != model.id).values(is_primary=False))
    model.is_primary = True
    db.session.flush()


def save_rule(model: ScoreModel, rule: ScoreRule | None, values: dict, user_id: int | None = None) -> RescoreJob:
    """A new or changed rule; everyone's score in the model is recomputed in the background."""
    if rule is None:
        rule = ScoreRule(model=model, position=len(model.rules))
        db.session.add(rule)
    rule.kind, rule.points = values["kind"], int(values["points"])
    if rule.kind == RuleKind.FIT:
        rule.field, rule.pattern, rule.activity_kind = values["field"], ", ".join(rule_words(values["pattern"])), ""
    else:
        rule.field, rule.pattern, rule.activity_kind = "", "", values["activity_kind"]
    db.session.flush()
    return start_rescore(model, user_id)


def duplicate_rule(model: ScoreModel, values: dict, own_id: int | None = None) -> ScoreRule | None:
    """Another rule of the model for the same field and words, or the same activity (a double submit would
    otherwise count the points twice)."""
    for rule in model.rules:
        if rule.id == own_id or rule.kind != values["kind"]:
            continue
        if rule.kind == RuleKind.FIT and (rule.field, rule.pattern) == (
                values["field"], ", ".join(rule_words(values["pattern"]))):
            return rule
        if rule.kind == RuleKind.BEHAVIOUR and rule.activity_kind == values["activity_kind"]:
            return rule
    return None


def delete_rule(rule: ScoreRule, user_id: int | None = None) -> RescoreJob:
    model = rule.model
    model.rules.remove(rule)
    db.session.flush()
    return start_rescore(model, user_id)
