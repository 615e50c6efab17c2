"""Takes the README's screenshots from a demo server: `python -m tests.browser.screenshots`.

Not a test; it drives the same Chromium the browser tests use and writes static/screenshots/*.png.
"""
import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_process

OUT = Path(__file__).resolve().parents[2] / "static" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env.update(EVENTAPP_DATA_DIR=data_dir, EVENTAPP_RATE_LIMITS="0")
        server, base = serve_process(lambda port: [sys.executable, "-c", "from eventapp.cli import main; main()",
                                                   "serve", "--demo", "--port", str(port)],
                                     env=env, log=Path(data_dir) / "serve.log")
        try:
            _shoot(base)
        finally:
            server.terminate()
            server.wait(timeout=10)


def _shoot(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        phone = browser.new_context(**playwright.devices["Pixel 7"])
        page = phone.new_page()
        page.goto(f"{base}/e/demo-seminar")
        page.screenshot(path=OUT / "landing.png")
        page.get_by_label("First name").fill("Mei")
        page.get_by_label("Last name").fill("Chen")
        page.get_by_label("Work email").fill("mei.chen@example.com")
        page.get_by_label("Company").fill("Northwind Traders")
        page.get_by_label("Job title").fill("Head of Marketing")
        page.get_by_label("More qualified leads").check()
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url("**/r/**")
        page.screenshot(path=OUT / "ticket.png")
        desktop = browser.new_context(viewport={"width": 1200, "height": 800})
        page = desktop.new_page()
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("organiser@demo.example")
        page.get_by_label("Password").fill("demo-organiser")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Events that make pipeline: a half-day seminar").click()
        page.screenshot(path=OUT / "back-office.png")
        page.get_by_role("link", name="Messages and reminders").click()
        page.screenshot(path=OUT / "messages.png")
        page.goto(f"{base}/dev/mailbox/")
        page.get_by_role("link", name="You're registered: Events that make pipeline: a half-day seminar").first.click()
        page.get_by_role("link", name="Open the HTML version").click()
        page.screenshot(path=OUT / "confirmation-mail.png")
        page.goto(f"{base}/checkin/")
        page.get_by_role("link", name="Events that make pipeline: a half-day seminar").click()
        page.screenshot(path=OUT / "scanner.png")
        browser.close()


if __name__ == "__main__":
    main()
