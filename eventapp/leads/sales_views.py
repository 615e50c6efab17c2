"""Sales users who log in: their own leads only, each with its timeline and the feedback form (issue 16, helper
"handoff")."""
from flask import Blueprint

bp = Blueprint("sales", __name__, url_prefix="/sales")
