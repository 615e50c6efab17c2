"""The settings issue 16 reads from the environment: webhooks' safety switches and the handoff's deadline."""
import pytest

from eventapp.config import from_environment


def test_webhooks_and_handoffs_are_safe_and_five_working_days_by_default(tmp_path):
    config = from_environment({"EVENTAPP_DATA_DIR": str(tmp_path)})
    assert (config["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"], config["WEBHOOKS_ALLOW_HTTP"]) == (False, False)
    assert (config["WEBHOOKS_TIMEOUT_SECONDS"], config["HANDOFF_WORKING_DAYS"], config["HANDOFF_LINK_DAYS"]) == \
        (15, 5, 30)


def test_the_environment_sets_them(tmp_path):
    config = from_environment({"EVENTAPP_DATA_DIR": str(tmp_path), "EVENTAPP_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1",
                               "EVENTAPP_WEBHOOKS_ALLOW_HTTP": "yes", "EVENTAPP_WEBHOOKS_TIMEOUT_SECONDS": "30",
                               "EVENTAPP_HANDOFF_WORKING_DAYS": "3", "EVENTAPP_HANDOFF_LINK_DAYS": "60"})
    assert (config["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"], config["WEBHOOKS_ALLOW_HTTP"]) == (True, True)
    assert (config["WEBHOOKS_TIMEOUT_SECONDS"], config["HANDOFF_WORKING_DAYS"], config["HANDOFF_LINK_DAYS"]) == \
        (30, 3, 60)


@pytest.mark.parametrize("name", ["EVENTAPP_WEBHOOKS_TIMEOUT_SECONDS", "EVENTAPP_HANDOFF_WORKING_DAYS"])
def test_a_count_that_is_not_a_number_stops_the_app_with_a_sentence(tmp_path, name):
    with pytest.raises(ValueError, match=f"{name} must be a whole number"):
        from_environment({"EVENTAPP_DATA_DIR": str(tmp_path), name: "five"})
