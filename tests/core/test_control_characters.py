"""A control character in an address's text part (a slug, a token, a code) is an address that does not exist: 404,
never a NUL byte handed to the database (PostgreSQL refuses NUL in text, which was a 500 at /p/%00)."""
import pytest

PUBLIC_ADDRESSES = ["/p/{}", "/r/{}", "/r/{}/calendar.ics", "/i/{}", "/i/{}/decline", "/e/{}", "/unsubscribe/{}",
                    "/c/{}", "/o/{}.gif", "/consent/{}"]


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
@pytest.mark.parametrize("text", ["%00", "a%00b", "%1f", "abc%7f"])
def test_a_control_character_in_an_address_is_not_found(client, db, address, text):
    response = client.get(address.format(text))
    assert response.status_code == 404, (address, text, response.status_code)


def test_ordinary_text_still_reaches_the_view(client, db, make_event):
    event = make_event()
    assert client.get(f"/e/{event.slug}").status_code == 200
    assert client.get("/p/nosuchcode").status_code == 404  # the view's own answer, with its sentence
    assert "not valid" in client.get("/p/nosuchcode").get_data(as_text=True)
