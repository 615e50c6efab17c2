"""Saved segments: each filter alone and together, on people who signed up through the landing page, were checked in
at the door and recorded as no-shows; who a send leaves out and why; the back-office pages and their boundaries."""
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Organisation
from eventapp.accounts.operations import ensure_organisation
from eventapp.checkin.operations import Scan, record_no_shows, redeem, staff_with_event
from eventapp.contacts.models import Contact, ContactTag, SuppressionChannel, SuppressionReason
from eventapp.contacts.normalisation import normalise_email
from eventapp.contacts.operations import contact_for, suppress
from eventapp.core.time import utcnow
from eventapp.extensions import db as _db
from eventapp.invitations import segments
from eventapp.invitations.models import Invitation, Segment
from eventapp.registration.models import Registration
from tests.conftest import PASSWORD, signup_form, submit

EMAILS = ("ada", "grace", "alan", "edsger", "barbara")


def sign_up(app, event, name, **form):
    response = submit(app.test_client(), f"/e/{event.slug}", signup_form(email=f"{name}@example.com",
                                                                          first_name=name.title(), **form))
    assert response.status_code == 303, response.status_code


def check_in(user, event, name):
    registration = registration_of(event, name)
    staff, door_event = staff_with_event(user.id, event.id)
    answer = redeem(door_event, Scan(nonce=uuid.uuid4().hex, device_id="door-1", scanned_at=utcnow(),
                                     secret=registration.ticket_secret), staff)
    assert answer["status"] == "ok", answer


def registration_of(event, name) -> Registration:
    return _db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id,
                                                             Registration.contact_id == contact(_db, name).id)).one()


def contact(db, name) -> Contact:
    """Acme's contact (the rival organisation has an Ada of its own)."""
    acme = sa.select(Organisation.id).where(Organisation.slug == "acme").scalar_subquery()
    return db.session.scalars(sa.select(Contact).where(Contact.organisation_id == acme,
                                                       Contact.email_key == f"{name}@example.com")).one()


@pytest.fixture
def world(app, db, org, make_event, make_user):
    """Five people with profiles and tags. Ada and Grace signed up for the summit; Ada came, Grace did not (the
    summit is over); Alan signed up for the roundtable, then cancelled; Edsger was invited to the roundtable and
    opened the mail 3 days ago, Barbara clicked hers 40 days ago."""
    organiser = make_user()
    summit, roundtable = make_event(title="Summit"), make_event(title="Roundtable")
    for name, company in zip(EMAILS[:3], ("Analytical Engines", "US Navy", "Bletchley Park")):
        sign_up(app, summit if name != "alan" else roundtable, name, company=company)
    check_in(organiser, summit, "ada")
    summit.starts_at, summit.ends_at = utcnow() - timedelta(hours=5), utcnow() - timedelta(hours=1)
    db.session.commit()
    assert record_no_shows() == 1  # Grace
    alan = registration_of(roundtable, "alan")
    submit(app.test_client(), f"/r/{alan.manage_token}/cancel", {})
    for name in ("edsger", "barbara"):
        contact_for(org.id, normalise_email(f"{name}@example.com"), {"first_name": name.title()})
    db.session.flush()
    profiles = {"ada": ("CTO", "250-999", "Manufacturing", "Shanghai", ["VIP", "CIO club"]),
                "grace": ("Rear Admiral", "1000+", "Government", "Washington", ["VIP"]),
                "alan": ("Chief Scientist", "10-49", "Research", "Manchester", ["CIO club"]),
                "edsger": ("Professor", "1000+", "Education", "Austin", []),
                "barbara": ("Chief Technology Officer", "250-999", "manufacturing", "shanghai", ["Press"])}
    for name, (title, size, industry, city, tags) in profiles.items():
        person = contact(db, name)
        person.job_title, person.company_size, person.industry, person.city = title, size, industry, city
        person.tags = [ContactTag(tag=tag) for tag in tags]
        person.marketing_consent = True
    now = utcnow()
    for name, opened, clicked in (("edsger", now - timedelta(days=3), None),
                                  ("barbara", None, now - timedelta(days=40))):
        db.session.add(Invitation(organisation_id=org.id, event_id=roundtable.id, contact_id=contact(db, name).id,
                                  token=uuid.uuid4().hex, opened_at=opened, clicked_at=clicked))
    other = ensure_organisation("rival", "Rival Events")
    db.session.flush()
    stranger = contact_for(other.id, normalise_email("ada@example.com"), {"company": "Analytical Engines"})
    stranger.marketing_consent = True
    db.session.commit()
    return {"org_id": org.id, "summit": summit.id, "roundtable": roundtable.id, "other_org_id": other.id,
            "organiser": organiser}


def who(db, world, filters) -> set[str]:
    ids = db.session.scalars(segments.segment_query(world["org_id"], filters)).all()
    return {email.split("@")[0] for email in db.session.scalars(
        sa.select(Contact.email_key).where(Contact.id.in_(ids)))}


@pytest.mark.parametrize("filters, expected", [
    ({}, set(EMAILS)),
    ({"company": "navy"}, {"grace"}),
    ({"company": "Bletchley Park"}, {"alan"}),
    ({"job_title": "chief"}, {"alan", "barbara"}),
    ({"company_size": ["1000+"]}, {"grace", "edsger"}),
    ({"company_size": ["10-49", "1000+"]}, {"grace", "edsger", "alan"}),
    ({"industry": ["Manufacturing"]}, {"ada", "barbara"}),  # any case
    ({"city": ["SHANGHAI", "Austin"]}, {"ada", "barbara", "edsger"}),
    ({"tags_any": ["VIP", "Press"]}, {"ada", "grace", "barbara"}),
    ({"tags_all": ["VIP", "CIO club"]}, {"ada"}),
    ({"tags_none": ["VIP"]}, {"alan", "edsger", "barbara"}),
    ({"invited_to": ["roundtable"]}, {"edsger", "barbara"}),
    ({"registered_for": ["summit"]}, {"ada", "grace"}),
    ({"registered_for": ["roundtable"]}, set()),  # Alan cancelled
    ({"registered_for": ["summit", "roundtable"]}, {"ada", "grace"}),
    ({"attended": ["summit"]}, {"ada"}),
    ({"no_show": ["summit"]}, {"grace"}),
    ({"engaged_days": 7}, {"edsger"}),
    ({"engaged_days": 60}, {"edsger", "barbara"}),
    ({"engaged_days": 60, "engagement": "clicked"}, {"barbara"}),
    ({"engaged_days": 30, "engagement": "clicked"}, set()),
    # together: every condition holds
    ({"tags_any": ["VIP"], "registered_for": ["summit"], "no_show": ["summit"]}, {"grace"}),
    ({"industry": ["manufacturing"], "tags_none": ["Press"], "attended": ["summit"]}, {"ada"}),
    ({"company_size": ["250-999"], "engaged_days": 60, "job_title": "officer"}, {"barbara"}),
])
def test_each_filter_alone_and_combined(db, world, filters, expected):
    events = {"summit": world["summit"], "roundtable": world["roundtable"]}
    filters = {name: [events.get(value, value) for value in values] if isinstance(values, list) else values
               for name, values in filters.items()}
    assert who(db, world, filters) == expected


@pytest.mark.parametrize("filters", [
    {"company": 5}, {"tags_any": "VIP"}, {"invited_to": ["1", None, True]}, {"engaged_days": "7"},
    {"engaged_days": 0}, {"engaged_days": 10**9}, {"unknown": "x"}, [], None,
])
def test_filters_of_the_wrong_shape_are_no_condition(db, world, filters):
    assert who(db, world, filters) == set(EMAILS)
    assert segments.clean_filters(filters) == {}


def test_another_organisations_events_and_contacts_are_never_members(db, world):
    assert who(db, world, {"company": "Analytical"}) == {"ada"}  # not the rival's Ada
    assert db.session.scalars(segments.segment_query(world["other_org_id"], {"registered_for": [world["summit"]]})
                              ).all() == []


def test_the_audience_leaves_out_the_suppressed_by_reason_and_those_without_consent(db, world):
    for name, reason in (("grace", SuppressionReason.UNSUBSCRIBED), ("alan", SuppressionReason.BOUNCED),
                         ("edsger", SuppressionReason.COMPLAINED)):
        suppress(SuppressionChannel.EMAIL, contact(db, name).email_key, reason)
    suppress(SuppressionChannel.SMS, "+8613800138000", SuppressionReason.STOP)  # another channel: no matter
    contact(db, "barbara").marketing_consent = False
    contact(db, "edsger").marketing_consent = False  # suppressed too: counted once, for the suppression
    db.session.commit()
    segment = segments.save_segment(world["org_id"], "Everyone", {})
    marketing = segments.audience(segment, marketing=True)
    assert marketing.contact_ids == [contact(db, "ada").id]
    assert marketing.left_out == {"unsubscribed": 1, "bounced": 1, "complained": 1, "no_consent": 1}
    assert marketing.matched == 5 and marketing.left_out_total == 4
    assert [(str(label), count) for label, count in marketing.reasons()] == [
        ("Unsubscribed", 1), ("Mail bounced before", 1), ("Marked earlier mail as spam", 1),
        ("No marketing consent", 1)]
    # not marketing: consent is not asked, the suppression list still holds
    plain = segments.audience({}, marketing=False, organisation_id=world["org_id"])
    assert sorted(plain.contact_ids) == sorted([contact(db, "ada").id, contact(db, "barbara").id])
    assert plain.left_out == {"unsubscribed": 1, "bounced": 1, "complained": 1}
    with pytest.raises(TypeError):
        segments.audience({}, marketing=True)


# ---- the back office ----------------------------------------------------------------------------------------------

def saved(db) -> list[tuple]:
    db.session.expire_all()
    return [(s.name, s.filters) for s in db.session.scalars(sa.select(Segment).order_by(Segment.id))]


def test_make_a_segment_see_who_and_why_then_change_and_delete_it(client, db, world):
    client_login(client, world)
    suppress(SuppressionChannel.EMAIL, contact(db, "grace").email_key, SuppressionReason.UNSUBSCRIBED)
    db.session.commit()
    form = {"name": "VIPs who came or stayed home", "tags_any": ["VIP"], "registered_for": [str(world["summit"])]}
    preview = submit(client, "/admin/segments/new", {**form, "preview": "1"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and saved(db) == []  # a preview saves nothing
    assert "2 contacts match." in page and "An invitation would go to 1 of them." in page
    assert "Unsubscribed: 1" in page
    response = submit(client, "/admin/segments/new", form)
    assert response.status_code == 303
    assert saved(db) == [("VIPs who came or stayed home", {"tags_any": ["VIP"], "registered_for": [world["summit"]]})]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Segment saved." in page and "2 contacts match." in page and "Unsubscribed: 1" in page
    assert re.search(r'<option selected value="VIP">VIP</option>|<option value="VIP" selected>', page)
    listing = client.get("/admin/segments/").get_data(as_text=True)
    assert "VIPs who came or stayed home" in listing and "Tagged with any of VIP; Registered for Summit" in listing
    segment_id = db.session.scalar(sa.select(Segment.id))
    members = client.get(f"/admin/segments/{segment_id}/members").get_data(as_text=True)
    assert "ada@example.com" in members and "grace@example.com" in members and "alan@example.com" not in members
    changed = submit(client, f"/admin/segments/{segment_id}", {"name": "Came", "attended": [str(world["summit"])]})
    assert changed.status_code == 303 and saved(db) == [("Came", {"attended": [world["summit"]]})]
    confirm = client.get(f"/admin/segments/{segment_id}/delete")
    assert confirm.status_code == 200 and saved(db) == [("Came", {"attended": [world["summit"]]})]  # GET asks only
    deleted = submit(client, f"/admin/segments/{segment_id}/delete", {})
    assert deleted.status_code == 303 and saved(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 6  # nobody deleted with it


def client_login(client, world):
    response = submit(client, "/login", {"email": world["organiser"].email, "password": PASSWORD})
    assert response.status_code == 303


@pytest.mark.parametrize("form, message", [
    ({"name": ""}, "Give the segment a name."),
    ({"name": "x" * 201}, "Keep this under 200 characters."),
    ({"name": "<b>bold</b>"}, "Use plain text here"),
    ({"name": "S", "company": "c" * 201}, "Keep this under 200 characters."),
    ({"name": "S", "tags_any": ["not a tag in use"]}, "is not a valid choice"),
    ({"name": "S", "registered_for": ["999999"]}, "is not a valid choice"),
    ({"name": "S", "registered_for": ["abc"]}, "could not be coerced"),
    ({"name": "S", "engaged_days": "abc"}, "Not a valid integer value."),
    ({"name": "S", "engaged_days": "0"}, "Enter a number of days from 1 to 3650."),
    ({"name": "S", "engaged_days": "7", "engagement": "smelled"}, "Not a valid choice"),
])
def test_bad_input_gets_a_message_and_saves_nothing(client, db, world, form, message):
    client_login(client, world)
    response = submit(client, "/admin/segments/new", form)
    assert response.status_code == 422 and message in response.get_data(as_text=True), response.status_code
    assert saved(db) == []


def test_a_name_is_one_segment_per_organisation(client, db, world):
    client_login(client, world)
    assert submit(client, "/admin/segments/new", {"name": "VIP"}).status_code == 303
    again = submit(client, "/admin/segments/new", {"name": "VIP", "company": "navy"})
    assert again.status_code == 422 and "Another segment already has this name." in again.get_data(as_text=True)
    assert saved(db) == [("VIP", {})]
    segments.save_segment(world["other_org_id"], "VIP", {})  # another organisation may have its own
    db.session.commit()


def test_another_organisations_segment_is_not_found(client, db, world):
    theirs = segments.save_segment(world["other_org_id"], "Theirs", {"company": "x"})
    db.session.commit()
    client_login(client, world)
    for url in (f"/admin/segments/{theirs.id}", f"/admin/segments/{theirs.id}/members",
                f"/admin/segments/{theirs.id}/delete"):
        assert client.get(url).status_code == 404, url
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/segments/new").get_data(as_text=True))
    for url in (f"/admin/segments/{theirs.id}", f"/admin/segments/{theirs.id}/delete"):
        assert client.post(url, data={"csrf_token": token.group(1), "name": "Mine"}).status_code == 404, url
    assert saved(db) == [("Theirs", {"company": "x"})]
    assert "Theirs" not in client.get("/admin/segments/").get_data(as_text=True)


def test_forms_refuse_a_post_without_the_csrf_token(client, db, world):
    segment = segments.save_segment(world["org_id"], "Kept", {})
    db.session.commit()
    client_login(client, world)
    for url in ("/admin/segments/new", f"/admin/segments/{segment.id}", f"/admin/segments/{segment.id}/delete"):
        assert client.post(url, data={"name": "Changed"}).status_code == 400, url
    assert saved(db) == [("Kept", {})]


def test_members_are_paged(client, db, org, world):
    for number in range(60):
        contact_for(org.id, normalise_email(f"member{number:02d}@example.com"), {"company": "Paged Inc"})
    segment = segments.save_segment(world["org_id"], "Paged", {"company": "paged"})
    db.session.commit()
    client_login(client, world)
    first = client.get(f"/admin/segments/{segment.id}/members").get_data(as_text=True)
    assert "60 contacts." in first and first.count("@example.com</td>") == 50 and "Page 1 of 2" in first
    second = client.get(f"/admin/segments/{segment.id}/members?page=2").get_data(as_text=True)
    assert second.count("@example.com</td>") == 10


def test_a_list_with_nothing_to_choose_says_so(client, login_as):
    login_as()
    page = client.get("/admin/segments/new").get_data(as_text=True)
    assert "No contact has one yet." in page and "No contact is tagged yet." in page and "No events yet." in page


def test_a_name_taken_by_another_request_meanwhile_is_said_not_an_error(client, db, world, monkeypatch):
    """A double click: the other request saved the name between this one's check and its commit."""
    segments.save_segment(world["org_id"], "VIP", {})
    db.session.commit()
    client_login(client, world)

    def without_the_check(organisation_id, name, filters, segment=None):
        segment = Segment(organisation_id=organisation_id, name=name, filters=filters)
        _db.session.add(segment)
        _db.session.flush()
        return segment

    monkeypatch.setattr(segments, "save_segment", without_the_check)
    response = submit(client, "/admin/segments/new", {"name": "VIP"})
    assert response.status_code == 422 and "Another segment already has this name." in response.get_data(
        as_text=True)
    assert saved(db) == [("VIP", {})]


def test_a_segment_that_a_send_still_to_start_goes_to_is_not_deleted(client, db, world):
    from eventapp.events.models import Event
    from eventapp.invitations.models import InvitationSend, SendStatus
    from eventapp.invitations.sending import save_send

    segment = segments.save_segment(world["org_id"], "VIP", {"tags_any": ["VIP"]})
    send = save_send(None, db.session.get(Event, world["roundtable"]), {"subject": "Join our roundtable",
                                                                       "segment_id": segment.id}, None)
    db.session.commit()
    client_login(client, world)
    page = client.get(f"/admin/segments/{segment.id}/delete").get_data(as_text=True)
    assert "Join our roundtable" in page and f'href="/admin/invitations/{send.id}"' in page
    assert "Delete the segment" not in page
    refused = submit(client, f"/admin/segments/{segment.id}/delete", {})
    assert refused.status_code == 303
    assert "change their audience or cancel them first" in client.get(refused.headers["Location"]).get_data(
        as_text=True)
    assert saved(db) == [("VIP", {"tags_any": ["VIP"]})]
    send = db.session.get(InvitationSend, send.id)
    send.status = SendStatus.SENT  # its invitations were written when it started: the segment may go
    db.session.commit()
    assert submit(client, f"/admin/segments/{segment.id}/delete", {}).status_code == 303
    assert saved(db) == [] and db.session.get(InvitationSend, send.id).segment_id is None
