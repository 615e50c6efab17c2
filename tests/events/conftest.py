from tests.messaging.conftest import fake_twilio  # noqa: F401  (cancelling an event also texts people)
