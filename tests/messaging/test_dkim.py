"""With DKIM_PRIVATE_KEY and DKIM_SELECTOR set, every outgoing mail is DKIM-signed, and the bytes the SMTP server
received verify against the public key as a receiver would find it in DNS."""
import base64
import shutil
import subprocess

import dkim
import pytest

from eventapp import config as settings
from eventapp.messaging.backends import EmailBackend, make_backends
from eventapp.messaging.operations import deliver_due
from eventapp.messaging.signing import DkimSigner
from tests.conftest import signup_form, submit
from tests.messaging.marketing import parsed

SELECTOR, DOMAIN = "ev2026", "events.example.com"


@pytest.fixture(scope="module")
def rsa_key() -> tuple[str, bytes]:
    """A fresh 2048-bit key (PEM) and its DNS TXT record, made by the openssl command line."""
    openssl = shutil.which("openssl")
    assert openssl, "the DKIM tests make their key with the openssl command (Debian: apt-get install openssl)"
    pem = subprocess.run([openssl, "genrsa", "2048"], capture_output=True, check=True).stdout
    public = subprocess.run([openssl, "rsa", "-pubout", "-outform", "DER"], input=pem, capture_output=True,
                            check=True).stdout
    return pem.decode(), b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


@pytest.fixture
def signing_sink(app, smtp_sink, rsa_key):
    """The SMTP sink, with the email backend signing as the settings would make it. (Not monkeypatch: its undo
    could come after smtp_sink's and leave the sink's backend in place for the next tests.)"""
    pem, _record = rsa_key
    signer = DkimSigner.from_config({"DKIM_PRIVATE_KEY": pem, "DKIM_SELECTOR": SELECTOR,
                                     "MAIL_FROM": f"Acme Events <events@{DOMAIN}>"})
    backends = app.extensions["message_backends"]
    sinks_backend = backends["email"]
    backends["email"] = EmailBackend(sinks_backend.sender, signer)
    yield smtp_sink
    backends["email"] = sinks_backend


def published(record: bytes):
    def dns(name, timeout=5):
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None
    return dns


def test_marketing_and_transactional_mail_are_signed_and_verify(client, make_event, promo, signing_sink, rsa_key):
    _pem, record = rsa_key
    promo.queue(promo.contact())
    submit(client, f"/e/{make_event().slug}", signup_form(email="grace@example.com"))
    deliver_due()
    assert len(signing_sink.raw) == 2
    for raw in signing_sink.raw:
        assert dkim.verify(raw, dnsfunc=published(record)), raw[:400]
        tags = dict(part.strip().split("=", 1) for part in
                    parsed(raw)["DKIM-Signature"].replace("\r\n", "").split(";") if "=" in part)
        assert (tags["d"], tags["s"], tags["c"]) == (DOMAIN, SELECTOR, "relaxed/relaxed")
        signed = {name.strip() for name in tags["h"].split(":")}
        assert {"from", "to", "subject", "date", "message-id", "list-unsubscribe",
                "list-unsubscribe-post"} <= signed
    [marketing] = [raw for raw in signing_sink.raw if b"List-Unsubscribe:" in raw]
    # Pointing the unsubscribe link elsewhere on the way breaks the signature.
    altered = marketing.replace(b"List-Unsubscribe: <http://127.0.0.1:5000/",
                                b"List-Unsubscribe: <http://127.0.0.1:5001/")
    assert altered != marketing and not dkim.verify(altered, dnsfunc=published(record))


def test_without_the_settings_nothing_is_signed(client, make_event, smtp_sink):
    submit(client, f"/e/{make_event().slug}", signup_form())
    deliver_due()
    [raw] = smtp_sink.raw
    assert b"DKIM-Signature" not in raw


def test_the_key_is_read_from_pem_text_or_a_file_and_a_bad_one_stops_the_start(tmp_path, rsa_key):
    pem, _record = rsa_key
    key_file = tmp_path / "dkim.pem"
    key_file.write_text(pem)
    environment = {"EVENTAPP_DATA_DIR": str(tmp_path), "DKIM_SELECTOR": SELECTOR, "DKIM_DOMAIN": DOMAIN}
    from_file = settings.from_environment({**environment, "DKIM_PRIVATE_KEY": str(key_file)})
    from_text = settings.from_environment({**environment, "DKIM_PRIVATE_KEY": pem})
    on_one_line = settings.from_environment({**environment, "DKIM_PRIVATE_KEY": pem.replace("\n", "\\n")})
    assert from_file["DKIM_PRIVATE_KEY"] == from_text["DKIM_PRIVATE_KEY"] == on_one_line["DKIM_PRIVATE_KEY"] \
        == pem.strip()
    assert make_backends(from_file)["email"].signer.domain == DOMAIN.encode()
    with pytest.raises(ValueError, match="neither a PEM key nor the path of a file"):
        settings.from_environment({**environment, "DKIM_PRIVATE_KEY": str(tmp_path / "missing.pem")})
    with pytest.raises(ValueError, match="DKIM_PRIVATE_KEY cannot sign"):
        DkimSigner.from_config({"DKIM_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
                                "DKIM_SELECTOR": SELECTOR, "DKIM_DOMAIN": DOMAIN})
