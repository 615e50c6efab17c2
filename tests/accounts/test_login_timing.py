"""An unknown or inactive account is refused after the same work as a known one with a wrong password: one
password hash of the same method and cost is checked in each case (it was none for an unknown email: 5 ms
against 100 ms)."""

from eventapp.accounts.models import Role
from eventapp.accounts.operations import authenticate, set_active
from tests.conftest import PASSWORD


def method(password_hash: str) -> str:
    """The hash's method and its cost, e.g. scrypt:32768:8:1 (werkzeug writes method$salt$hash)."""
    return password_hash.split("$", 1)[0]


def test_unknown_inactive_and_wrong_each_check_one_hash_of_the_same_method(make_user, db, checked):
    user = make_user(Role.ORGANISER)
    inactive = make_user(Role.ORGANISER, email="gone@acme.example")
    set_active(inactive, False)
    db.session.commit()

    assert authenticate(user.email, "wrong password") is None
    assert authenticate("nobody@acme.example", "wrong password") is None
    assert authenticate(inactive.email, PASSWORD) is None
    assert len(checked) == 3
    assert {method(password_hash) for password_hash in checked} == {method(user.password_hash)}
    assert authenticate(user.email, PASSWORD) == user
