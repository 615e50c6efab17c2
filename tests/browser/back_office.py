"""The back office in a browser: logging in as a user the test made."""
from tests.conftest import PASSWORD


def log_in(page, live_server: str, user) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
