"""Link tokens are random and never look like a Bitcoin address to a receiving mail server."""
import re
from unittest import mock

from eventapp.core import tokens

# The body rule as SpamAssassin 4.0 ships it (/usr/share/spamassassin/72_active.cf, __BITCOIN_ID), Bitcoin part.
BITCOIN_ID = re.compile(r"\b(?<!=)(?:[13](?:(?:[-_=\s][a-km-zA-HJ-NP-Z1-9]){29,34}|[a-km-zA-HJ-NP-Z1-9]{29,34}))\b")


def test_a_token_that_would_read_as_a_bitcoin_address_is_drawn_again():
    bitcoin_like = "3" + "abcdefghijkmnopqrstuvwxyzABCDE1"  # 32 characters, all Base58
    assert BITCOIN_ID.search(f"https://example.com/r/{bitcoin_like}?p=x")
    with mock.patch.object(tokens.secrets, "token_urlsafe", side_effect=[bitcoin_like, "plain-token_0"]):
        assert tokens.url_token() == "plain-token_0"


def test_tokens_are_unique_and_never_bitcoin_like():
    drawn = {tokens.url_token() for _ in range(5000)}
    assert len(drawn) == 5000
    assert not [token for token in drawn if BITCOIN_ID.search(f"/r/{token}?")]
