"""The sales owner's personal feedback page, `/f/<token>`: no login, the token is the key (issue 16, helper
"handoff")."""
from flask import Blueprint

bp = Blueprint("sales_feedback", __name__)
