"""The address people reach this installation at, for the links in mail and SMS."""
from flask import current_app


def public_base_url() -> str:
    return current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"
