"""The scoring settings pages: score models, their rules, the rescoring progress (issue 16, helper "scoring")."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.core.time import utcnow
from eventapp.events.models import Event, Question
from eventapp.extensions import db
from eventapp.leads import scoring
from eventapp.leads.models import ActivityKind
from eventapp.leads.models.scoring import RescoreStatus, RuleKind, ScoreModel, ScoreRule
from eventapp.leads.score_forms import ScoreModelForm, ScoreRuleForm
from eventapp.messaging.tasks import run_sweep_now

bp = Blueprint("scoring", __name__, url_prefix="/admin/scoring")
bp.before_request(require_back_office)


def _organisation_id() -> int:
    return current_user.membership.organisation_id


@bp.app_template_global()
def score_explanations(contact, now=None) -> list[dict]:
    """For leads/scoring/_contact_scores.html (included in the contact page with only `contact`): each model's
    score now and its lines."""
    now = now or utcnow()
    return [{"model": model, "score": score, "lines": scoring.explain(contact.id, model.id, now), "now": now}
            for model, score in scoring.current_scores(contact.id, now)]


def _fit_fields(organisation_id: int) -> list[tuple[str, str]]:
    """What a fit rule may look at: the contact fields, tags, and the answers to the organisation's questions."""
    questions = db.session.execute(sa.select(Question.id, Question.label, Event.title).join(Event).where(
        Event.organisation_id == organisation_id).order_by(Event.starts_at.desc(), Question.position)).all()
    return [(str(field), str(field.label)) for field in scoring.FitField] + [
        (f"{scoring.ANSWER_PREFIX}{question_id}", _("Answer: %(event)s — %(question)s", event=title,
                                                    question=label)) for question_id, label, title in questions]


@bp.get("/")
def models():
    # The default score exists without anyone doing anything: first made here when nothing made it before.
    scoring.ensure_default_model(_organisation_id())
    db.session.commit()
    return render_template("leads/scoring/models.html", models=scoring.models_of(_organisation_id()),
                           form=ScoreModelForm(formdata=None))


@bp.route("/new", methods=["GET", "POST"])
def new_model():
    form = ScoreModelForm()
    if form.validate_on_submit():
        try:
            model = scoring.add_model(_organisation_id(), form.data)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.name.errors = [_("Another score has this name already.")]
        else:
            flash(_("Score added. Add its rules below."), "success")
            return redirect(url_for("scoring.model", model_id=model.id), code=303)
    return render_template("leads/scoring/new_model.html", form=form), 422 if form.errors else 200


@bp.route("/<int:model_id>", methods=["GET", "POST"])
def model(model_id):
    score_model = own_or_404(ScoreModel, model_id)
    form = ScoreModelForm(obj=score_model)
    if form.validate_on_submit():
        try:
            job = scoring.update_model(score_model, form.data, current_user.id)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            score_model = own_or_404(ScoreModel, model_id)
            form.name.errors = [_("Another score has this name already.")]
        else:
            _started(job)
            flash(_("Score settings saved."), "success")
            return redirect(url_for("scoring.model", model_id=model_id), code=303)
    return _model_page(score_model, form, ScoreRuleForm(formdata=None, fields=_fit_fields(_organisation_id())))


def _model_page(score_model: ScoreModel, form: ScoreModelForm, rule_form: ScoreRuleForm):
    job = scoring.latest_job(score_model.id)
    status = 422 if form.errors or rule_form.errors else 200
    return render_template("leads/scoring/model.html", model=score_model, form=form, rule_form=rule_form, job=job,
                           fields=dict(_fit_fields(score_model.organisation_id)), RuleKind=RuleKind,
                           kind_labels={str(kind): kind.label for kind in ActivityKind},
                           RescoreStatus=RescoreStatus), status


def _started(job) -> None:
    """A rule change's recomputation starts at once in the worker (the page shows its progress)."""
    if job is not None:
        run_sweep_now()
        flash(_("Everyone's score is being recomputed with the new rules."), "success")


@bp.post("/<int:model_id>/rules")
def add_rule(model_id):
    score_model = own_or_404(ScoreModel, model_id)
    rule_form = ScoreRuleForm(fields=_fit_fields(score_model.organisation_id))
    if not _valid_rule(rule_form, score_model):
        return _model_page(score_model, ScoreModelForm(formdata=None, obj=score_model), rule_form)
    job = scoring.save_rule(score_model, None, rule_form.values(), current_user.id)
    db.session.commit()
    _started(job)
    return redirect(url_for("scoring.model", model_id=model_id), code=303)


@bp.route("/rules/<int:score_rule_id>", methods=["GET", "POST"])
def edit_rule(score_rule_id):
    rule = _own_rule(score_rule_id)
    form = ScoreRuleForm(fields=_fit_fields(rule.model.organisation_id))
    if not form.is_submitted():
        form.fill_from(rule)
    if form.is_submitted() and _valid_rule(form, rule.model, rule.id):
        job = scoring.save_rule(rule.model, rule, form.values(), current_user.id)
        db.session.commit()
        _started(job)
        return redirect(url_for("scoring.model", model_id=rule.model_id), code=303)
    return render_template("leads/scoring/rule.html", rule=rule, form=form), 422 if form.errors else 200


@bp.post("/rules/<int:score_rule_id>/delete")
def delete_rule(score_rule_id):
    rule = _own_rule(score_rule_id)
    model_id = rule.model_id
    job = scoring.delete_rule(rule, current_user.id)
    db.session.commit()
    _started(job)
    return redirect(url_for("scoring.model", model_id=model_id), code=303)


def _valid_rule(form: ScoreRuleForm, score_model: ScoreModel, own_id: int | None = None) -> bool:
    if not form.validate():
        return False
    if scoring.duplicate_rule(score_model, form.values(), own_id) is not None:
        form.kind.errors = [_("This score has such a rule already: change its points instead.")]
        return False
    return True


def _own_rule(score_rule_id: int) -> ScoreRule:
    """A rule of a model of the user's organisation; anything else is 404."""
    rule = db.session.get(ScoreRule, score_rule_id)
    if rule is None:
        abort(404)
    own_or_404(ScoreModel, rule.model_id)
    return rule
