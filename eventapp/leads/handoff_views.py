"""Back office: assignment rules, handing a lead by hand, the overdue list (issue 16, helper "handoff")."""
from flask import Blueprint

from eventapp.accounts.views import require_back_office

bp = Blueprint("handoffs", __name__, url_prefix="/admin/handoffs")
bp.before_request(require_back_office)
