"""Back office: funnel pages with SVG charts, their tables and CSV downloads (issue 16, helper "funnels")."""
import re
from decimal import Decimal

from babel.numbers import list_currencies
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.core.forms import Form, strip_line
from eventapp.core.spreadsheet import download
from eventapp.events.models import Campaign, Event
from eventapp.extensions import db
from eventapp.leads import funnels

bp = Blueprint("funnels", __name__, url_prefix="/admin/funnels")
bp.before_request(require_back_office)

CSV_TABLES = ("steps", "breakdowns", "timeline")
# EventCost.amount is Numeric(12, 2); ASCII digits only (Decimal would also read other scripts' digits).
AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?", re.ASCII)


class CostForm(Form):
    """What the event cost, for the cost per registrant, attendee and MQL."""

    amount = StringField(_l("Cost of the event"), filters=[strip_line],
                         validators=[DataRequired(message=_l("Enter what the event cost, e.g. 12500 or 12500.50."))],
                         description=_l("Everything it cost: venue, catering, travel, promotion. A number with up to "
                                        "two decimals, without thousands separators."))
    currency = StringField(_l("Currency"), filters=[strip_line], default="EUR",
                           validators=[DataRequired(message=_l("Enter a currency code such as EUR, USD or CNY."))],
                           description=_l("The three-letter code: EUR, USD, CNY…"))
    save = SubmitField(_l("Save the cost"))
    remove = SubmitField(_l("Remove the cost"))

    def validate_amount(self, field):
        if not AMOUNT.fullmatch(field.data or ""):
            raise ValidationError(_("Enter the amount as a number with up to two decimals and no separators, "
                                    "e.g. 12500.50 (at most 9999999999.99)."))
        if Decimal(field.data) <= 0:
            raise ValidationError(_("Enter an amount above zero (to take the cost away, use Remove the cost)."))

    def validate_currency(self, field):
        field.data = (field.data or "").upper()
        if len(field.data) != 3 or field.data not in list_currencies():
            raise ValidationError(_("“%(code)s” is not a currency code. Use the three letters, such as EUR, USD "
                                    "or CNY.", code=field.data[:10]))

    @property
    def decimal_amount(self) -> Decimal:
        return Decimal(self.amount.data)  # validate_amount let only plain numbers through


def _organisation_id() -> int:
    return current_user.membership.organisation_id


@bp.get("/")
def index():
    events = funnels.organisation_events(_organisation_id())
    campaigns = funnels.organisation_campaigns(_organisation_id())
    event_figures = funnels.headlines([funnels.event_scope(event) for event in events])
    campaign_figures = funnels.headlines([funnels.campaign_scope(campaign) for campaign in campaigns])
    return render_template("leads/funnels/index.html", events=events, campaigns=campaigns, steps=funnels.HEADLINE_STEPS,
                           event_figures=event_figures, campaign_figures=campaign_figures)


@bp.get("/events/<int:event_id>")
def event_funnel(event_id):
    event = own_or_404(Event, event_id)
    return _page(funnels.event_scope(event), event=event, form=_cost_form(event))


@bp.post("/events/<int:event_id>/cost")
def event_cost(event_id):
    """Enter, change or (with the remove button) take away the event's cost."""
    event = own_or_404(Event, event_id)
    form = CostForm()
    if form.is_submitted() and form.remove.data:
        funnels.remove_cost(event)
        db.session.commit()
        flash(_("The cost is taken away."), "success")
        return redirect(url_for("funnels.event_funnel", event_id=event.id, _anchor="costs"), code=303)
    if not form.validate_on_submit():
        return _page(funnels.event_scope(event), event=event, form=form, status=422)
    funnels.save_cost(event, form.decimal_amount, form.currency.data)
    db.session.commit()
    flash(_("The cost is saved."), "success")
    return redirect(url_for("funnels.event_funnel", event_id=event.id, _anchor="costs"), code=303)


@bp.get("/campaigns/<int:campaign_id>")
def campaign_funnel(campaign_id):
    campaign = own_or_404(Campaign, campaign_id)
    return _page(funnels.campaign_scope(campaign), campaign=campaign)


def _csv_view(model, scope_of, table: str):
    """The view of one table's CSV of an event's or a campaign's funnel."""
    def view(**ids):
        row = own_or_404(model, next(iter(ids.values())))
        return _csv(scope_of(row), table, f"{model.__tablename__[:-1]}-{row.id}")

    view.__name__ = f"{model.__tablename__[:-1]}_{table}_csv"
    return view


# One address per table (funnels.event_steps_csv, …), so each download is a plain link.
for _table in CSV_TABLES:
    bp.add_url_rule(f"/events/<int:event_id>/{_table}.csv", view_func=_csv_view(Event, funnels.event_scope, _table))
    bp.add_url_rule(f"/campaigns/<int:campaign_id>/{_table}.csv",
                    view_func=_csv_view(Campaign, funnels.campaign_scope, _table))


def _cost_form(event: Event) -> CostForm:
    cost = funnels.event_cost(event)
    form = CostForm(formdata=None)
    if cost is not None:
        form.amount.data, form.currency.data = f"{cost.amount:.2f}", cost.currency
    return form


def _costs(scope: funnels.Scope, figures: funnels.Funnel):
    """The costs, or the reason there are none (a campaign's events in several currencies)."""
    try:
        return funnels.costs(scope, figures), None
    except funnels.MixedCurrencies as mixed:
        return None, _("The events' costs are in different currencies (%(currencies)s), so they are not added up.",
                       currencies=str(mixed))


def _page(scope: funnels.Scope, *, status: int = 200, **context):
    figures = funnels.funnel(scope)
    cost, cost_problem = _costs(scope, figures)
    return render_template(
        "leads/funnels/funnel.html", scope=scope, figures=figures, cost=cost, cost_problem=cost_problem,
        breakdowns=funnels.breakdowns(scope), line=funnels.time_line(scope), no_shows=funnels.no_shows(scope),
        percent=funnels.percent, Step=funnels.Step, costed_steps=funnels.COSTED_STEPS, **context), status


def _csv(scope: funnels.Scope, table: str, name: str):
    if table == "steps":
        figures = funnels.funnel(scope)
        found = funnels.funnel_table(figures, _costs(scope, figures)[0])
    elif table == "breakdowns":
        found = funnels.breakdowns_table(funnels.breakdowns(scope))
    else:
        found = funnels.time_line_table(funnels.time_line(scope))
    return download(found, f"{table}-{name}", "csv")
