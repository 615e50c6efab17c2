import pytest

from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio
from tests.messaging.marketing import promo  # noqa: F401  (a marketing mail of the tests' own)


@pytest.fixture
def fake_twilio(app):
    """A fake Twilio API on localhost; the app's SMS backend sends to it through the real twilio client, and
    webhooks are checked against its auth token."""
    from eventapp.messaging.sms import SmsBackend, TwilioSettings

    fake = FakeTwilio().start()
    backends = app.extensions["message_backends"]
    previous_backend, previous_token = backends["sms"], app.config["TWILIO_AUTH_TOKEN"]
    backends["sms"] = SmsBackend(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, from_number=FROM_NUMBER),
                                 api_base_url=fake.url, timeout=5)
    app.config["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    yield fake
    backends["sms"] = previous_backend
    app.config["TWILIO_AUTH_TOKEN"] = previous_token
    fake.stop()
