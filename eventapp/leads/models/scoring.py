"""Scores: an organisation's score models (several side by side, e.g. one per product line), their rules, the
logged entries each score is the sum of, and each contact's current value.

A score at time t = Σ fit points + Σ behaviour points · 2^(−(t − occurred_at) / half-life). LeadScore keeps it
exact at any time in two numbers: `fit`, and `anchor` = Σ points · 2^((occurred_at − model.epoch) / half-life), so
score(t) = fit + anchor · 2^(−(t − epoch) / half-life): one factor per model at time t, which makes sorting and
filtering by score plain SQL arithmetic. ScoreEntry rows are the log it is reconciled with (the explanation)."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class RuleKind(LabelledEnum):
    FIT = "fit", _l("Profile fit")
    BEHAVIOUR = "behaviour", _l("Behaviour")


class ScoreModel(db.Model):
    __tablename__ = "score_models"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(80))
    # The one lists, exports and the MQL rule use when nobody picks another.
    is_primary: Mapped[bool] = mapped_column(default=False)
    half_life_days: Mapped[float] = mapped_column(default=30.0)
    mql_threshold: Mapped[int] = mapped_column(default=50)
    # Contact fields sales needs before a lead may become an MQL (names of Contact columns).
    required_fields: Mapped[list] = mapped_column(sa.JSON, default=lambda: ["company", "job_title"])
    # Behaviour anchors are relative to this instant (moved forward now and then, see scoring.py).
    epoch = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    rules_changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    rules = relationship("ScoreRule", cascade="all, delete-orphan", order_by="ScoreRule.position, ScoreRule.id",
                         back_populates="model")


class ScoreRule(db.Model):
    """Fit: `points` when the contact's `field` (a Contact column, `tag`, or `answer:<question id>`) contains one of
    the comma-separated words in `pattern` (case-insensitive). Behaviour: `points` per activity of `activity_kind`
    (negative for a no-show or an unsubscribe), decaying with the model's half-life."""

    __tablename__ = "score_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("score_models.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    field: Mapped[str] = mapped_column(sa.String(60), default="")
    pattern: Mapped[str] = mapped_column(sa.String(500), default="")
    activity_kind: Mapped[str] = mapped_column(sa.String(40), default="")
    points: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)

    model = relationship(ScoreModel, back_populates="rules")


class ScoreEntry(db.Model):
    """One logged term of a contact's score: a fit rule that matched (no decay, `occurred_at` None) or a behaviour
    rule applied to one activity (decays from `occurred_at`). `label` says it in words for the explanation."""

    __tablename__ = "score_entries"
    __table_args__ = (sa.Index("ix_score_entries_model_contact", "model_id", "contact_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("score_models.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("score_rules.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lead_activities.id", ondelete="CASCADE"),
                                                   index=True)
    points: Mapped[int] = mapped_column()
    occurred_at = mapped_column(UTCDateTime)
    label: Mapped[str] = mapped_column(sa.String(300), default="")


class LeadScore(db.Model):
    """A contact's score in one model: fit + anchor · 2^(−(now − model.epoch) / half-life)."""

    __tablename__ = "lead_scores"
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("score_models.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    fit: Mapped[int] = mapped_column(default=0)
    anchor: Mapped[float] = mapped_column(sa.Float, default=0.0)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class RescoreStatus(LabelledEnum):
    RUNNING = "running", _l("Recomputing")
    DONE = "done", _l("Done")
    FAILED = "failed", _l("Failed")


class RescoreJob(db.Model):
    """Recomputing every contact's score in a model after its rules changed, in chunks, as a step of the minute
    sweep (resumable under a lease); `done` of `total` is the progress shown."""

    __tablename__ = "rescore_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("score_models.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=RescoreStatus.RUNNING)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    # The last contact id done: the next chunk starts after it.
    last_contact_id: Mapped[int] = mapped_column(default=0)
    locked_until = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(sa.String(300), default="")
    started_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at = mapped_column(UTCDateTime)
