"""Back office: the lead export form and its download (issue 16, helper "exports")."""
from flask import Blueprint

from eventapp.accounts.views import require_back_office

bp = Blueprint("lead_exports", __name__, url_prefix="/admin/leads/export")
bp.before_request(require_back_office)
