"""Back office: funnel pages with SVG charts, their tables and CSV downloads (issue 16, helper "funnels")."""
from flask import Blueprint

from eventapp.accounts.views import require_back_office

bp = Blueprint("funnels", __name__, url_prefix="/admin/funnels")
bp.before_request(require_back_office)
