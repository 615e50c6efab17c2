import functools
import hmac
from urllib.parse import urlparse

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, g, has_request_context, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from eventapp.accounts import operations
from eventapp.accounts.forms import ChangePasswordForm, LanguageForm, LoginForm, OrganisationSettingsForm
from eventapp.accounts.models import BACK_OFFICE_ROLES, Role, User
from eventapp.core import i18n
from eventapp.extensions import db, login_manager

bp = Blueprint("accounts", __name__)


# Blueprints whose every request needs something besides the user, loaded in the same query (see load_user_with).
_user_loaders = {}


@login_manager.user_loader
def _load_user(session_id):
    """The user of a session id "<user id>:<session token>" (User.get_id), while the token is still the user's and
    the user is active: a new token (logout, password change, deactivation) ends every session at once. The
    blueprint's loader may be a plain-values user (the door's); it carries session_token and is_active too."""
    user_id, _colon, token = str(session_id).partition(":")
    if not (user_id.isascii() and user_id.isdigit() and token):
        return None  # no token: a session from before tokens, or not ours
    user = _user_loaders.get(request.blueprint, load_user)(int(user_id))
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    g.signed_in_user_id = user.id
    g.signed_in_user = user  # for signed_in_language
    return user


def signed_in_user_id() -> int | None:
    """The user this request has already identified (a guard or the page read current_user), else None. It never
    loads the user itself: asking Flask-Login on a public page would write to the visitor's session."""
    return g.get("signed_in_user_id") if has_request_context() else None


def signed_in_language() -> str:
    """core.i18n's `user_language`: the language of the user this request has already identified (a guard loaded
    them). It never loads the user itself, so a public page reads no session for it and writes none."""
    user = g.get("signed_in_user") if has_request_context() else None
    if not isinstance(user, User):
        # nobody signed in (""), or the door's plain-values staff member, who carries the language it reads
        return getattr(user, "language", "")
    return operations.language_of(user)


i18n.user_language = signed_in_language


def load_user(user_id: int) -> User | None:
    # Every logged-in request starts here: a prebuilt statement skips rebuilding the query each time.
    return db.session.execute(_user_by_id(), {"user_id": user_id}).scalar_one_or_none()


def load_user_with(blueprint_name: str, loader) -> None:
    """Let `loader(user_id) -> User | None` load the signed-in user for this blueprint's requests, so that it can
    fetch what they all need in the same query. Flask-Login's checks around the loader stay as they are, and so
    do ours: what it returns has the user's session_token and is_active, which _load_user compares."""
    _user_loaders[blueprint_name] = loader


@functools.cache
def _user_by_id():
    """Built on first use, when every model (and so every mapper) is there."""
    return sa.select(User).where(User.id == sa.bindparam("user_id"))


def require_role(roles, refusal) -> object | None:
    """A role check: None for a logged-in user whose membership has one of `roles`; else the login redirect, or a
    403 that says `refusal` (called only then: it is translated in the request's language)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    membership = current_user.membership
    if membership is None or membership.role not in roles:
        abort(403, description=refusal())
    return None


def require_back_office():
    """The one role check of the back office: a logged-in owner or organiser."""
    return require_role(BACK_OFFICE_ROLES, lambda: _(
        "Your account cannot use the back office. Ask an owner of your organisation for the organiser role."))


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


def _start_session(user: User) -> None:
    """This browser's session is the user's, under their current session token, with a new CSRF secret: a form
    token seen before (on the login page, or by whoever shared the browser) is no good after."""
    _new_csrf_secret()
    login_user(user)


def _new_csrf_secret() -> None:
    # Flask-WTF keeps the secret its tokens are signed for in the session; without it, the next page makes one.
    session.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = operations.log_in(form.email.data, form.password.data, request.remote_addr or "")
        except operations.TooManyLogins as refusal:
            raise TooManyRequests(description=str(refusal), retry_after=refusal.retry_after) from None
        if user is not None:
            _start_session(user)
            return redirect(_safe_next(form.next.data) or url_for("core.home"), code=303)
        flash(_("That email and password do not match an account."), "error")
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form), (422 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    """Logging out here logs the user out everywhere: a copy of the session cookie is worth nothing after."""
    operations.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    _new_csrf_secret()
    flash(_("You are logged out."), "success")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The signed-in user's own account: change the password (which ends every other session)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            operations.change_password(user, form.current_password.data, form.new_password.data,
                                       request.remote_addr or "")
        except operations.TooManyLogins as refusal:
            raise TooManyRequests(description=str(refusal), retry_after=refusal.retry_after) from None
        except operations.PasswordRefused as refusal:
            form[refusal.field].errors.append(str(refusal))
        else:
            db.session.commit()
            _start_session(user)  # this browser goes on under the new token; every other session has ended
            flash(_("Your password is changed. You are logged out everywhere else."), "success")
            return redirect(url_for("accounts.account"), code=303)
    return _account_page(form, LanguageForm(language=current_user.language), 422 if form.errors else 200)


def _account_page(form, language_form, status=200):
    return render_template("accounts/account.html", form=form, language_form=language_form), status


@bp.post("/account/language")
@login_required
def account_language():
    """The signed-in user's own language for the back office (or their organisation's)."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _account_page(ChangePasswordForm(formdata=None), form, 422)
    operations.choose_language(current_user._get_current_object(), form.language.data)
    db.session.commit()
    i18n.use_language(operations.language_of(current_user) or i18n.browser_language(i18n.LANGUAGES))
    flash(_("Your language is saved."), "success")  # in the language just chosen
    return redirect(url_for("accounts.account"), code=303)


def require_owner():
    """Organisation settings are the owners' (organisers run events, not the organisation)."""
    return require_role({Role.OWNER}, lambda: _("Only an owner of your organisation can change its settings."))


@bp.route("/admin/organisation", methods=["GET", "POST"])
def organisation_settings():
    """The organisation's language (its users' and events' default) and its phone numbers' country."""
    if (refusal := require_owner()) is not None:
        return refusal
    organisation = current_user.membership.organisation
    form = OrganisationSettingsForm(obj=organisation)
    if form.validate_on_submit():
        operations.change_organisation_settings(organisation, form.language.data, form.phone_region.data)
        db.session.commit()
        i18n.use_language(operations.language_of(current_user))
        flash(_("The organisation's settings are saved."), "success")
        return redirect(url_for("accounts.organisation_settings"), code=303)
    return render_template("accounts/organisation.html", form=form, organisation=organisation), \
        (422 if form.errors else 200)
