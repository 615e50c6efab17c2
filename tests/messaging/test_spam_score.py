"""Every kind of mail, judged as a receiving server would: SpamAssassin's own rules (run locally, `spamassassin -L
-t`) on the bytes the SMTP server received. A kind passes below 1.0 point, leaving room for what a real receiver
adds (DNS blocklists, Bayes). CI installs spamassassin (.ci/run), so a missing one fails here instead of skipping."""
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventapp.core.time import utcnow
from eventapp.messaging.models import Message, MessageKind
from eventapp.messaging.operations import deliver_due, sweep
from eventapp.registration.models import Registration
from tests.conftest import PASSWORD, signup_form, submit
from tests.invitations.invitation_mail import invite
from tests.messaging.test_organiser import edit_form

PASSING = 1.0
# Rules that fire only because the test delivers to 127.0.0.1 (no Received headers; links to a random port, which a
# real BASE_URL has none of): about zero points, listed so a report reads plainly (/work/shared/notes/spamassassin.md).
LOCAL_ONLY = {"NO_RECEIVED", "NO_RELAYS", "WEIRD_PORT"}
STATUS = re.compile(rb"^X-Spam-Status: (?:Yes|No), score=(-?[\d.]+) required=[\d.]+\s+tests=(.*?)\s+autolearn",
                    re.M | re.S)


def spam_report(raw: bytes) -> tuple[float, list[str]]:
    """(score, rules that fired) for one mail, as SpamAssassin's local rules judge it."""
    executable = shutil.which("spamassassin")
    assert executable, "spamassassin is not installed: apt-get install spamassassin (.ci/run installs it)"
    result = subprocess.run([executable, "-L", "-t"], input=raw, capture_output=True, timeout=120, check=True)
    match = STATUS.search(result.stdout)
    assert match, result.stdout[-2000:]
    rules = [rule for rule in re.split(r"[,\s]+", match.group(2).decode()) if rule and rule != "none"]
    return float(match.group(1)), rules


def every_kind_of_mail(client, db, make_event, smtp_sink, login_as) -> dict[str, bytes]:
    """One mail of each kind, through the flows that send them, as the SMTP server received them."""
    login_as()  # the test client is now signed in as an organiser; attendees use their own clients
    attendee = client.application.test_client

    def sign_up(event, **form):
        assert submit(attendee(), f"/e/{event.slug}", signup_form(**form)).status_code in (200, 303)

    # The least text a mail can have: a short title, no summary, no venue (receivers weigh text against the QR image).
    seminar = make_event(capacity=1, title="Q4", summary="", venue_name="", venue_address="")
    sign_up(seminar, marketing_consent="y")  # confirmation and consent_confirmation for Ada
    sign_up(seminar, first_name="Grace", last_name="Hopper", email="grace@example.com")  # waitlisted
    sign_up(seminar)  # already_registered
    deliver_due()  # while Ada's seat is hers: her confirmation carries the ticket
    ada, grace = db.session.execute(sa.select(Registration).order_by(Registration.id)).scalars()
    url = f"/r/{ada.manage_token}"
    submit(attendee(), url, {}, post_url=f"{url}/cancel")  # cancelled for Ada, promoted for Grace

    roundtable = make_event(approval_required=True)
    sign_up(roundtable, first_name="Katherine", last_name="Johnson", email="katherine@example.com")  # pending
    sign_up(roundtable, first_name="Dorothy", last_name="Vaughan", email="dorothy@example.com")  # pending
    katherine, dorothy = db.session.execute(sa.select(Registration).where(Registration.event_id == roundtable.id)
                                            .order_by(Registration.id)).scalars()
    admin = f"/admin/events/{roundtable.id}"
    submit(client, admin, {}, post_url=f"/admin/registrations/{katherine.id}/approve")
    submit(client, admin, {}, post_url=f"/admin/registrations/{dorothy.id}/decline")
    deliver_due()

    seminar.starts_at = utcnow() + timedelta(hours=23)  # Grace's one-day reminder is due
    seminar.ends_at = seminar.starts_at + timedelta(hours=3)
    db.session.execute(sa.update(Registration).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    sweep()
    local = (seminar.starts_at + timedelta(hours=1)).astimezone(ZoneInfo(seminar.timezone))
    assert submit(client, f"/admin/events/{seminar.id}/edit", edit_form(
        seminar, starts_at=local.strftime("%Y-%m-%dT%H:%M"),
        ends_at=(local + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))).status_code == 303  # event_updated
    messages_url = f"/admin/events/{seminar.id}/messages/confirmation"
    assert submit(client, messages_url, {}, post_url=f"{messages_url}/test").status_code == 303  # test
    assert submit(client, f"/admin/events/{seminar.id}/cancel", {}).status_code == 303  # event_cancelled
    invite(db, make_event(title="Executive roundtable"))  # invitation, with the sign-up form inside
    deliver_due()

    kinds = dict(db.session.execute(sa.select(Message.provider_id, Message.kind).where(Message.channel == "email"))
                 .all())
    mails = {}
    for raw in smtp_sink.raw:
        kind = kinds[message_from_bytes(raw, policy=default)["Message-ID"]]
        mails.setdefault(str(kind), raw)
    return mails


def test_every_kind_of_mail_scores_below_one_point(client, db, make_event, smtp_sink, login_as):
    mails = every_kind_of_mail(client, db, make_event, smtp_sink, login_as)
    assert set(mails) == {str(kind) for kind in MessageKind}, "a kind of mail this test does not send"
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = dict(zip(mails, pool.map(spam_report, mails.values())))
    scores = {kind: score for kind, (score, _) in reports.items()}
    failing = {kind: (score, [rule for rule in rules if rule not in LOCAL_ONLY])
               for kind, (score, rules) in reports.items() if score >= PASSING}
    assert not failing, f"scores {scores}; over {PASSING}: {failing}"


def test_a_spammy_mail_does_score_high():
    """The judge itself works here: a mail a receiver would junk gets its points (so a pass above means something)."""
    raw = (b"From: winner@example.com\r\nTo: you@example.com\r\nSubject: FREE MONEY!!! ACT NOW!!!\r\n"
           b"Content-Type: text/html\r\n\r\n<html><body><img src='http://x.example/a.png'>"
           b"<p>CLICK HERE to claim your FREE $$$ prize, 100% GUARANTEED, no risk!!! Viagra casino lottery winner."
           b"</p></body></html>\r\n")
    score, rules = spam_report(raw)
    assert score >= 5.0, rules


def test_a_ticket_code_that_looks_like_a_bitcoin_address_costs_nothing(client, db, make_event, smtp_sink,
                                                                       monkeypatch):
    """A thirty-first of ticket secrets start with "3" and are all Base58, which SpamAssassin reads as a Bitcoin
    address (PDS_BTC_ID, and with "your personal details" nearby BITCOIN_YOUR_INFO: 3 points). The mail shows the
    code in groups of four and says nothing about "your personal details", so such a secret scores like any other."""
    import eventapp.registration.operations as registration_operations

    monkeypatch.setattr(registration_operations, "ticket_secret", lambda: "3" + "abcdefghjkmnpqrstuvwxyz23456789")
    event = make_event()
    assert submit(client, f"/e/{event.slug}", signup_form()).status_code in (200, 303)
    deliver_due()
    (raw,) = smtp_sink.raw
    assert b"3abc defg hjkm" in raw
    score, rules = spam_report(raw)
    assert not [rule for rule in rules if "BTC" in rule or "BITCOIN" in rule], rules
    assert score < PASSING, rules
