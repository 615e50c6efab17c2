import pytest

from eventapp.accounts import models


@pytest.fixture
def checked(monkeypatch):
    """The password hashes checked, in order (one entry per check)."""
    seen = []
    original = models.check_password_hash

    def counting(password_hash, password):
        seen.append(password_hash)
        return original(password_hash, password)

    monkeypatch.setattr(models, "check_password_hash", counting)
    return seen
