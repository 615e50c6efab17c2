"""The back office's contacts: search by name, company, email and phone; one contact added and edited by hand; a tag
put on or taken off many contacts at once."""
import re

import pytest
import sqlalchemy as sa

from eventapp.accounts.operations import ensure_organisation
from eventapp.contacts.editing import parse_tags
from eventapp.contacts.models import Contact, ContactTag
from eventapp.contacts.normalisation import normalise_email
from eventapp.contacts.operations import contact_for
from eventapp.contacts.search import phone_digits
from tests.conftest import submit


def make_contact(org_id, email, **details):
    tags = details.pop("tags", ())
    contact = contact_for(org_id, normalise_email(email), details)
    for name, value in details.items():  # contact_for keeps only the sign-up's fields
        setattr(contact, name, value)
    contact.tags = [ContactTag(tag=tag) for tag in tags]
    return contact


@pytest.fixture
def people(db, org):
    made = {
        "ada": make_contact(org.id, "ada@analytical.example", first_name="Ada", last_name="Lovelace",
                            company="Analytical Engines", phone="+8613800138000"),
        "grace": make_contact(org.id, "grace@navy.example", first_name="Grace", last_name="Hopper",
                              company="US Navy", phone="+442079460958"),
        "alan": make_contact(org.id, "alan@bletchley.example", first_name="Alan", last_name="Turing",
                             company="Bletchley 100%", tags=["VIP"]),
        "wang": make_contact(org.id, "wang.wei@example.cn", first_name="伟", last_name="王", company="上海机器人"),
    }
    other = ensure_organisation("rival", "Rival Events")
    db.session.flush()
    made["stranger"] = make_contact(other.id, "ada@rival.example", first_name="Ada", company="Rival")
    db.session.commit()
    return {name: contact.id for name, contact in made.items()}


def found(client, query) -> set[str]:
    page = client.get("/admin/contacts/", query_string={"q": query})
    assert page.status_code == 200
    return set(re.findall(r'<td>([\w.]+@[\w.]+)</td>', page.get_data(as_text=True)))


@pytest.mark.parametrize("query, emails", [
    ("ada", {"ada@analytical.example"}),  # first name, not the other organisation's Ada
    ("LOVELACE", {"ada@analytical.example"}),  # last name, any case
    ("grace hopper", {"grace@navy.example"}),  # the whole name
    ("navy", {"grace@navy.example"}),  # company, and the email
    ("100%", {"alan@bletchley.example"}),  # a % is a character, not a wildcard
    ("ALAN@BLETCHLEY", {"alan@bletchley.example"}),  # email
    ("+86 138 0013 8000", {"ada@analytical.example"}),  # the phone as E.164 with spaces
    ("138-0013-8000", {"ada@analytical.example"}),  # without +86
    ("020 7946 0958", {"grace@navy.example"}),  # a UK number as dialled at home
    ("0044 20 7946 0958", {"grace@navy.example"}),  # as dialled from abroad
    ("7946", {"grace@navy.example"}),  # part of it
    ("王伟", {"wang.wei@example.cn"}),  # a Chinese name as written: family name first
    ("机器人", {"wang.wei@example.cn"}),
    ("nobody", set()),
])
def test_search_by_each_field(client, login_as, people, query, emails):
    login_as()
    assert found(client, query) == emails


def test_phone_digits_only_for_what_looks_like_a_phone_number():
    assert phone_digits("+44 (0)20 7946-0958") == "4402079460958"
    assert phone_digits("020") == ""  # too short to mean a number
    assert phone_digits("Room 1234") == ""


def test_the_list_pages_and_says_how_many(client, db, org, login_as):
    for number in range(55):
        make_contact(org.id, f"person{number:02d}@example.com", company="Paged Ltd")
    db.session.commit()
    login_as()
    first = client.get("/admin/contacts/?q=paged").get_data(as_text=True)
    assert "55 contacts match the search." in first and "Page 1 of 2" in first
    assert len(re.findall(r'name="contact_ids"', first)) == 50
    second = client.get("/admin/contacts/?q=paged&page=2").get_data(as_text=True)
    assert len(re.findall(r'name="contact_ids"', second)) == 5 and "Page 2 of 2" in second
    assert 'href="/admin/contacts/new"' in first and 'href="/admin/contacts/import"' in first
    assert client.get("/admin/contacts/?page=abc").status_code == 200
    assert client.get("/admin/contacts/?page=99999999999999").status_code == 200


# ---- by hand ------------------------------------------------------------------------------------------------------

def contacts(db):
    db.session.expire_all()
    return db.session.execute(sa.select(Contact).order_by(Contact.id)).scalars().all()


def test_add_a_contact_by_hand(client, db, login_as):
    login_as()
    response = submit(client, "/admin/contacts/new", {
        "email": " Lin.Wei@Example.CN ", "first_name": "Lin", "last_name": "Wei", "phone": "+86 138 0013 8000",
        "company": "Shanghai Robotics", "job_title": "CIO", "company_size": "250-999", "industry": "Manufacturing",
        "city": "Shanghai", "tags": "VIP, roundtable；VIP、 Shanghai 2026 "})
    assert response.status_code == 303
    [contact] = contacts(db)
    assert (contact.email, contact.email_key, contact.phone, contact.company_size, contact.industry, contact.city,
            contact.origin) == ("Lin.Wei@example.cn", "lin.wei@example.cn", "+8613800138000", "250-999",
                                "Manufacturing", "Shanghai", "manual")
    assert [row.tag for row in contact.tags] == ["Shanghai 2026", "VIP", "roundtable"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Shanghai Robotics" in page and '<span class="tag">roundtable</span>' in page
    assert "<dt>City</dt><dd>Shanghai</dd>" in page


@pytest.mark.parametrize("form, message", [
    ({"email": ""}, "Enter the contact&#39;s email address."),
    ({"email": "not-an-address"}, "Enter an email address like name@company.com."),
    ({"email": "a" * 400 + "@example.com"}, "Enter an email address like name@company.com."),
    ({"email": "ok@example.com", "phone": "12"}, "This is not a valid phone number"),
    ({"email": "ok@example.com", "phone": "call me"}, "Enter a phone number with its country code"),
    ({"email": "ok@example.com", "phone": "1" * 500}, "Enter a phone number with its country code"),
    ({"email": "ok@example.com", "company": "x" * 5000}, "Keep this under 200 characters."),
    ({"email": "ok@example.com", "first_name": "<script>alert(1)</script>"}, "Use plain text here"),
    ({"email": "ok@example.com", "tags": "t" * 61}, "Keep each tag under 60 characters."),
    ({"email": "ok@example.com", "tags": ",".join(f"t{n}" for n in range(51))}, "up to 50 tags"),
])
def test_bad_input_gets_a_message_and_changes_nothing(client, db, login_as, people, form, message):
    login_as()
    before = [(c.email, c.first_name, c.company, c.phone) for c in contacts(db)]
    added = submit(client, "/admin/contacts/new", form)
    assert added.status_code == 422 and message in added.get_data(as_text=True)
    edited = submit(client, f"/admin/contacts/{people['ada']}/edit", form)
    assert edited.status_code == 422 and message in edited.get_data(as_text=True)
    assert [(c.email, c.first_name, c.company, c.phone) for c in contacts(db)] == before


def test_an_address_already_a_contact_links_to_them_and_changes_nothing(client, db, login_as, people):
    login_as()
    before = [(c.id, c.email, c.first_name) for c in contacts(db)]
    for url in ("/admin/contacts/new", f"/admin/contacts/{people['grace']}/edit"):
        response = submit(client, url, {"email": "ADA@analytical.example", "first_name": "Someone"})
        page = response.get_data(as_text=True)
        assert response.status_code == 409, url
        assert "already a contact" in page and f'href="/admin/contacts/{people["ada"]}"' in page
    assert [(c.id, c.email, c.first_name) for c in contacts(db)] == before
    # another organisation's contact with the address is no duplicate
    assert submit(client, "/admin/contacts/new", {"email": "ada@rival.example"}).status_code == 303


def test_edit_a_contact_shows_what_it_has_and_saves_what_is_sent(client, db, login_as, people):
    login_as()
    page = client.get(f"/admin/contacts/{people['alan']}/edit").get_data(as_text=True)
    assert 'value="alan@bletchley.example"' in page and 'value="VIP"' in page
    response = submit(client, f"/admin/contacts/{people['alan']}/edit", {
        "email": "alan.turing@bletchley.example", "first_name": "Alan", "last_name": "Turing", "company": "",
        "phone": "+44 20 7946 0000", "city": "Manchester", "tags": "vip, codebreakers"})
    assert response.status_code == 303
    alan = db.session.get(Contact, people["alan"])
    db.session.refresh(alan)
    assert (alan.email_key, alan.company, alan.city) == ("alan.turing@bletchley.example", "", "Manchester")
    assert alan.phone == "+442079460000"
    # 'vip' is the organisation's 'VIP': one label, spelled as it is already
    assert [row.tag for row in alan.tags] == ["VIP", "codebreakers"]


def test_another_organisations_contact_is_not_found(client, login_as, people):
    login_as()
    assert client.get(f"/admin/contacts/{people['stranger']}/edit").status_code == 404
    page = client.get("/admin/contacts/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    posted = client.post(f"/admin/contacts/{people['stranger']}/edit",
                         data={"csrf_token": token, "email": "x@example.com"})
    assert posted.status_code == 404


def test_forms_refuse_a_post_without_the_csrf_token(client, db, login_as, people):
    login_as()
    for url, data in (("/admin/contacts/new", {"email": "new@example.com"}),
                      (f"/admin/contacts/{people['ada']}/edit", {"email": "new@example.com"}),
                      ("/admin/contacts/tags", {"tag": "x", "action": "add", "scope": "matching"})):
        assert client.post(url, data=data).status_code == 400, url
    assert len(contacts(db)) == 5 and db.session.scalar(sa.select(sa.func.count()).select_from(ContactTag)) == 1


# ---- tags in bulk ---------------------------------------------------------------------------------------------------

def tags_by_email(db) -> dict:
    db.session.expire_all()
    return {c.email: sorted(row.tag for row in c.tags) for c in contacts(db)}


def bulk(client, form, query=""):
    return submit(client, f"/admin/contacts/?q={query}", {"q": query, **form}, post_url="/admin/contacts/tags")


def test_tag_the_ticked_contacts_then_take_it_off(client, db, login_as, people):
    login_as()
    chosen = [people["ada"], people["grace"], people["stranger"]]  # a forged id of another organisation's contact
    response = bulk(client, {"tag": " Summit 2026 ", "action": "add", "scope": "selected", "contact_ids": chosen})
    assert response.status_code == 303
    assert 'Tag &#34;Summit 2026&#34; added to 2 contacts.' in client.get(response.headers["Location"]).get_data(
        as_text=True)
    tags = tags_by_email(db)
    assert tags["ada@analytical.example"] == tags["grace@navy.example"] == ["Summit 2026"]
    assert tags["ada@rival.example"] == [] and tags["alan@bletchley.example"] == ["VIP"]
    # again: nobody gets it twice
    bulk(client, {"tag": "Summit 2026", "action": "add", "scope": "selected", "contact_ids": chosen})
    assert tags_by_email(db)["ada@analytical.example"] == ["Summit 2026"]
    list_page = client.get("/admin/contacts/").get_data(as_text=True)
    assert list_page.count('<span class="tag">Summit 2026</span>') == 2
    removed = bulk(client, {"tag": "summit 2026", "action": "remove", "scope": "selected",
                            "contact_ids": [people["ada"]]})
    assert removed.status_code == 303
    tags = tags_by_email(db)
    assert tags["ada@analytical.example"] == [] and tags["grace@navy.example"] == ["Summit 2026"]


def test_tag_every_contact_that_matches_the_search(client, db, org, login_as, people):
    for number in range(60):  # more than a page: "all that match" is not "all on this page"
        make_contact(org.id, f"navy{number}@navy.example", company="US Navy")
    db.session.commit()
    login_as()
    response = bulk(client, {"tag": "Navy", "action": "add", "scope": "matching"}, query="navy")
    assert response.status_code == 303 and response.headers["Location"].endswith("?q=navy")
    tags = tags_by_email(db)
    assert sum(1 for value in tags.values() if value == ["Navy"]) == 61
    assert tags["ada@analytical.example"] == [] and tags["alan@bletchley.example"] == ["VIP"]
    bulk(client, {"tag": "Navy", "action": "remove", "scope": "matching"}, query="navy")
    assert not any("Navy" in value for value in tags_by_email(db).values())


@pytest.mark.parametrize("form, message", [
    ({"tag": "", "action": "add", "scope": "matching"}, "Enter the tag to add or remove."),
    ({"tag": "x" * 61, "action": "add", "scope": "matching"}, "Keep each tag under 60 characters."),
    ({"tag": "<b>", "action": "add", "scope": "matching"}, "Use plain text here"),
    ({"tag": "VIP", "action": "add", "scope": "selected"}, "Tick at least one contact"),
    ({"tag": "VIP", "action": "explode", "scope": "matching"}, "Not a valid choice"),
    ({"tag": "VIP", "action": "add", "scope": "selected", "contact_ids": "abc"}, "could not be coerced"),
    ({"tag": "VIP", "action": "add", "scope": "selected", "contact_ids": "99999999999999"}, "Tick contacts"),
])
def test_bulk_tag_bad_input_gets_a_message_and_changes_nothing(client, db, login_as, people, form, message):
    login_as()
    before = tags_by_email(db)
    response = bulk(client, form)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert tags_by_email(db) == before


def test_tags_typed_with_any_separator_are_read_once_each():
    assert parse_tags(" VIP ,vip; Beijing  2026，高管、, ") == ["VIP", "Beijing 2026", "高管"]


def test_an_address_taken_by_another_request_meanwhile_is_a_duplicate_not_an_error(client, db, login_as, people,
                                                                                    monkeypatch):
    """A double click: the other request added the address between this one's check and its commit."""
    from eventapp.contacts import editing

    login_as()
    monkeypatch.setattr(editing, "_refuse_duplicate", lambda *args: None)  # the check saw nothing yet
    response = submit(client, "/admin/contacts/new", {"email": "ada@analytical.example"})
    assert response.status_code == 409 and f'href="/admin/contacts/{people["ada"]}"' in response.get_data(
        as_text=True)
    assert len(contacts(db)) == 5
