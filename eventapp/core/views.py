"""Health check and the home page."""
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, url_for
from flask_login import current_user

from eventapp.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    parts = {"database": _check(lambda: db.session.execute(sa.text("SELECT 1")).scalar_one()),
             "queue": _check(lambda: current_app.extensions["huey"].pending_count())}
    healthy = all(value == "ok" for value in parts.values())
    return jsonify(status="ok" if healthy else "error", **parts), 200 if healthy else 503


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as error:  # noqa: BLE001  (any failure is the answer here)
        current_app.logger.warning("health check failed: %s", error)
        db.session.rollback()
        return "error"


@bp.get("/")
def home():
    if current_user.is_authenticated:
        membership = current_user.membership
        if membership is not None and membership.role == "staff":
            return redirect(url_for("checkin.events"))
        if membership is not None and membership.role == "partner":  # their portal, not the back office
            return redirect(url_for("partner_portal.index"))
        if membership is not None and membership.role == "sales":  # their own leads, not the back office
            return redirect(url_for("sales.index"))
        return redirect(url_for("events.dashboard"))
    return redirect(url_for("accounts.login"))
