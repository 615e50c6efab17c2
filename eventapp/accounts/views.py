import functools
from urllib.parse import urlparse

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from eventapp.accounts.forms import LoginForm
from eventapp.accounts.models import BACK_OFFICE_ROLES, User
from eventapp.accounts.operations import authenticate
from eventapp.core.ratelimit import rate_limited
from eventapp.extensions import db, login_manager

bp = Blueprint("accounts", __name__)


# Blueprints whose every request needs something besides the user, loaded in the same query (see load_user_with).
_user_loaders = {}


@login_manager.user_loader
def _load_user(user_id):
    if not str(user_id).isdigit():
        return None
    loader = _user_loaders.get(request.blueprint)
    if loader is not None:
        return loader(int(user_id))
    return load_user(int(user_id))


def load_user(user_id: int) -> User | None:
    # Every logged-in request starts here: a prebuilt statement skips rebuilding the query each time.
    return db.session.execute(_user_by_id(), {"user_id": user_id}).scalar_one_or_none()


def load_user_with(blueprint_name: str, loader) -> None:
    """Let `loader(user_id) -> User | None` load the signed-in user for this blueprint's requests, so that it can
    fetch what they all need in the same query. Flask-Login's checks around the loader stay as they are."""
    _user_loaders[blueprint_name] = loader


@functools.cache
def _user_by_id():
    """Built on first use, when every model (and so every mapper) is there."""
    return sa.select(User).where(User.id == sa.bindparam("user_id"))


def require_back_office():
    """The one role check of the back office: a logged-in owner or organiser; returns the membership."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    membership = current_user.membership
    if membership is None or membership.role not in BACK_OFFICE_ROLES:
        abort(403, description=_("Your account cannot use the back office. Ask an owner of your organisation "
                                 "for the organiser role."))
    return None


def own_or_404(model, object_id):
    """A row of the back-office user's own organisation (directly, or through its event); anything else is 404,
    not 403: ids are not a lookup service."""
    row = db.session.get(model, object_id)
    if row is None:
        abort(404)
    organisation_id = getattr(row, "organisation_id", None)
    if organisation_id is None:
        organisation_id = row.event.organisation_id
    if organisation_id != current_user.membership.organisation_id:
        abort(404)
    return row


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    # A line break cannot go into the Location header (it was a 500), and browsers read "/\\host" as "//host".
    if "\\" in target or any(ord(character) < 32 or ord(character) == 127 for character in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@rate_limited("10 per minute")
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(form.next.data) or url_for("core.home"), code=303)
        flash(_("That email and password do not match an account."), "error")
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form), (422 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("accounts.login"), code=303)
