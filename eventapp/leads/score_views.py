"""The scoring settings pages: score models, their rules, the rescoring progress (issue 16, helper "scoring")."""
from flask import Blueprint

from eventapp.accounts.views import require_back_office

bp = Blueprint("scoring", __name__, url_prefix="/admin/scoring")
bp.before_request(require_back_office)
