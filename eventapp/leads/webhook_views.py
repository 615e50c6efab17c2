"""Back office: webhook endpoints, their delivery log, Resend (issue 16, helper "webhooks")."""
from flask import Blueprint

from eventapp.accounts.views import require_back_office

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")
bp.before_request(require_back_office)
