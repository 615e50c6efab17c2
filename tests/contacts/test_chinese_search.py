"""Chinese search (issue 17): a name in either order, one character of it, its pinyin, the company, the phone however
spaced and the email find the person at the door, in the contacts list and in an event's registrations; hostile
text finds nothing it should not and never fails; an erasure takes the person out of every search."""
import re
import uuid

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.checkin import operations as door_ops
from eventapp.contacts import editing, importing
from eventapp.contacts.models import Contact
from eventapp.contacts.normalisation import normalise_email
from eventapp.contacts.search import fold, roster_key, search_key, search_terms, worth_searching
from eventapp.extensions import db as _db
from eventapp.leads.privacy import erase
from eventapp.registration import operations as registration_ops
from eventapp.registration.models import Registration
from eventapp.registration.operations import Signup

WANG_FANG = "wang.fang@huawei.example"
WANG_WEI = "wang.wei@tencent.example"
ADA = "ada@analytical.example"


def sign_up(event, email, first, last, company, phone=""):
    result = registration_ops.register(event, Signup(email=normalise_email(email), details={
        "first_name": first, "last_name": last, "company": company, "job_title": "CTO", "phone": phone}))
    _db.session.commit()
    return result.registration


@pytest.fixture
def people(db, make_event):
    """An event with 王芳 (family name in last_name, as the import and the form store it), 王伟 and Ada."""
    event = make_event(capacity=100)
    made = {
        WANG_FANG: sign_up(event, WANG_FANG, "芳", "王", "华为技术有限公司", "+8613800138000"),
        WANG_WEI: sign_up(event, WANG_WEI, "伟", "王", "腾讯", "+8613900139000"),
        ADA: sign_up(event, ADA, "Ada", "Lovelace", "Analytical Engines", "+442079460958"),
    }
    return event, made


def door_search(client, event, query) -> set[str]:
    reply = client.get(f"/checkin/{event.id}/search", query_string={"q": query})
    assert reply.status_code == 200
    return {row["email"] for row in reply.get_json()["results"]}


def contacts_search(client, query) -> set[str]:
    page = client.get("/admin/contacts/", query_string={"q": query})
    assert page.status_code == 200
    return set(re.findall(r"<td>([\w.]+@[\w.]+)</td>", page.get_data(as_text=True)))


def registrations_search(client, event, query) -> set[str]:
    page = client.get(f"/admin/events/{event.id}", query_string={"q": query})
    assert page.status_code == 200
    return set(re.findall(r"<td>([\w.]+@[\w.]+)</td>", page.get_data(as_text=True)))


SEARCHES = [
    ("王芳", {WANG_FANG}),  # as written: family name first, no space
    ("王", {WANG_FANG, WANG_WEI}),  # one character: the family name
    ("芳", {WANG_FANG}),  # one character: the given name
    ("王 芳", {WANG_FANG}),
    ("wangfang", {WANG_FANG}),  # pinyin, joined
    ("wang fang", {WANG_FANG}),  # pinyin, syllables
    ("Wang", {WANG_FANG, WANG_WEI}),
    ("WANG FANG", {WANG_FANG}),
    ("Ｗａｎｇ　Ｆａｎｇ", {WANG_FANG}),  # full-width letters and space, as a Chinese keyboard may type them
    ("fang wang", {WANG_FANG}),  # every word, in any order
    ("wf", {WANG_FANG}),  # the initials of a Chinese name
    ("华为", {WANG_FANG}),  # company
    ("huawei", {WANG_FANG}),  # the company's pinyin
    ("腾讯", {WANG_WEI}),
    ("13800138000", {WANG_FANG}),  # the phone as dialled in China
    ("138 0013 8000", {WANG_FANG}),
    ("+86 138 0013 8000", {WANG_FANG}),
    ("１３８００１３８０００", {WANG_FANG}),  # full-width digits
    ("wang.fang@huawei", {WANG_FANG}),  # email
    ("lovelace", {ADA}),
    ("ada lovelace", {ADA}),
    ("020 7946 0958", {ADA}),
    ("王 ada", set()),  # every word must match
    ("李", set()),
]

HOSTILE = ["%", "_", "%%", "\\", "\\%", "王%", "王_", "wang%fang", "😀", "王" + "😀", "a" * 10_000, "王" * 10_000,
           "' OR 1=1 --", "<script>王</script>", "\u200b王芳"]


@pytest.mark.parametrize("query, expected", SEARCHES)
def test_the_door_finds_people_by_chinese_name_pinyin_company_phone_and_email(client, login_as, people, query,
                                                                             expected):
    login_as(Role.ORGANISER)
    event, _made = people
    assert door_search(client, event, query) == expected


@pytest.mark.parametrize("query, expected", SEARCHES)
def test_the_contacts_list_finds_the_same_people(client, login_as, people, query, expected):
    login_as(Role.ORGANISER)
    assert contacts_search(client, query) == expected


@pytest.mark.parametrize("query, expected", [("王", {WANG_FANG, WANG_WEI}), ("王芳", {WANG_FANG}),
                                             ("huawei", {WANG_FANG}), ("138 0013 8000", {WANG_FANG}),
                                             ("wf", {WANG_FANG}), ("nobody", set())])
def test_an_events_registrations_are_searched_on_its_page(client, login_as, people, query, expected):
    login_as(Role.ORGANISER)
    event, _made = people
    assert registrations_search(client, event, query) == expected
    page = client.get(f"/admin/events/{event.id}", query_string={"q": query}).get_data(as_text=True)
    assert f"{len(expected)} registration" in page and 'value="' + query + '"' in page


def test_an_events_page_without_a_search_lists_everyone(client, login_as, people):
    login_as(Role.ORGANISER)
    event, _made = people
    assert registrations_search(client, event, "") == {WANG_FANG, WANG_WEI, ADA}


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_searches_find_nothing_and_never_fail(client, login_as, people, query):
    login_as(Role.ORGANISER)
    event, _made = people
    assert door_search(client, event, query) == set()
    assert contacts_search(client, query) == set()
    assert registrations_search(client, event, query) == set()


def test_one_chinese_character_is_a_search_and_one_latin_letter_is_not_yet(client, login_as, people):
    login_as(Role.ORGANISER)
    event, _made = people
    assert door_search(client, event, "芳") == {WANG_FANG}
    assert door_search(client, event, "a") == set()  # the phone waits for a second letter
    assert worth_searching("王") and worth_searching("ad") and not worth_searching("a") and not worth_searching(" ")


def test_a_changed_name_is_found_by_its_new_spelling_and_not_the_old(client, login_as, people):
    login_as(Role.ORGANISER)
    event, made = people
    contact = _db.session.get(Contact, made[WANG_FANG].contact_id)
    editing.edit_contact(contact, normalise_email(WANG_FANG), {"first_name": "娜", "last_name": "欧阳",
                                                               "company": "华为"}, [])
    registration = _db.session.get(Registration, made[WANG_FANG].id)
    registration.first_name, registration.last_name = "娜", "欧阳"
    _db.session.commit()
    assert contacts_search(client, "欧阳娜") == {WANG_FANG} and contacts_search(client, "ouyang") == {WANG_FANG}
    assert door_search(client, event, "oyn") == {WANG_FANG}
    assert contacts_search(client, "王芳") == set() and door_search(client, event, "wangfang") == set()


def test_an_erased_person_is_in_no_search(client, login_as, people):
    login_as(Role.ORGANISER)
    event, made = people
    erase(_db.session.get(Contact, made[WANG_FANG].contact_id))
    _db.session.commit()
    for query in ("王芳", "芳", "wangfang", "华为", "13800138000", "wang.fang"):
        assert door_search(client, event, query) == set()
        assert WANG_FANG not in contacts_search(client, query)
        assert registrations_search(client, event, query) == set()
    assert door_search(client, event, "王") == {WANG_WEI}
    keys = _db.session.execute(sa.select(Registration.search_text).where(Registration.id == made[WANG_FANG].id))
    assert keys.scalar_one() == "\n"  # nothing of them is left in the key either


def test_the_offline_roster_carries_names_company_and_pinyin_but_no_email_or_phone(people):
    event, made = people
    roster = {ticket["company"]: ticket for ticket in door_ops.ticket_list(event)}
    key = roster["华为技术有限公司"]["k"]
    for part in ("王芳", "wang fang", "wangfang", "wf", "华为", "huawei"):
        assert part in key
    assert "@" not in key and "13800138000" not in key and "\n" not in key


def test_an_imported_list_is_searchable_by_chinese_name_and_pinyin(client, login_as, db, org):
    login_as(Role.ORGANISER)
    text = "姓名,邮箱,手机,公司\n王芳,wang.fang@example.cn,+86 138 0013 8000,华为技术有限公司\n"
    job = importing.new_import(org.id, None, "list.csv", text.encode("gb18030"), "")
    importing.start(job, job.mapping, "")
    db.session.commit()
    assert importing.claim(job.id, 60) and importing.run(job)
    for query in ("王芳", "王", "wangfang", "huawei", "13800138000"):
        assert contacts_search(client, query) == {"wang.fang@example.cn"}, query


def test_the_key_and_the_terms():
    key = search_key("芳", "王", "华为", "Wang.Fang@Huawei.example", "+8613800138000")
    assert roster_key(key) == "芳 王 华为 王芳 芳王 wang fang wangfang wf hua wei huawei"
    assert key.endswith("\nwang.fang@huawei.example 8613800138000")
    assert roster_key(search_key("Ada", "Lovelace")) == "ada lovelace"  # no pinyin, no initials
    assert roster_key(search_key("曾小贤")) == "曾小贤 ceng xiao xian cengxiaoxian cxx zeng xiao xian zengxiaoxian zxx"
    assert "yu" not in search_key("芳", "王")  # a rare reading of 王 would find every 王 by "yu"
    assert roster_key(search_key("민수", "김")) == "민수 김 김민수 민수김"  # family name first, no pinyin
    assert search_terms("+86 138-0013-8000") == ["8613800138000"]
    assert search_terms("0086 138") == ["86138"]
    assert search_terms(" Wang   FANG ") == ["wang", "fang"]
    assert len(search_terms(" ".join(str(uuid.uuid4()) for _ in range(50)))) <= 8
    assert fold("Ｗａｎｇ１３８") == "wang138"


def test_the_upgrade_writes_the_keys_of_the_people_already_there(throwaway_app):
    """A database from before the search key: each contact and registration gets its key (in chunks)."""
    from flask_migrate import upgrade

    from tests.core.test_migrations import _insert_filled

    with throwaway_app.app_context():
        upgrade(revision="3c1d7e5a9b03")
        with _db.engine.begin() as connection:
            _insert_filled(connection, "organisations", id=1, slug="o", name="O")
            _insert_filled(connection, "contacts", id=1, organisation_id=1, email="p1@example.cn",
                           email_key="p1@example.cn", first_name="芳", last_name="王", company="华为",
                           phone="+8613800138000")
            copied = [column.name for column in sa.Table("contacts", sa.MetaData(), autoload_with=connection).columns
                      if column.name not in ("id", "email", "email_key", "phone")]
            connection.execute(sa.text(  # 2501 more like it: more than one chunk
                f"WITH RECURSIVE n(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM n WHERE x < 2502) "
                f"INSERT INTO contacts (id, email, email_key, phone, {', '.join(copied)}) "
                f"SELECT x, 'p' || x || '@example.cn', 'p' || x || '@example.cn', '', {', '.join(copied)} "
                f"FROM n, contacts WHERE contacts.id = 1"))
            _insert_filled(connection, "events", id=1, organisation_id=1, slug="e", title="E")
            _insert_filled(connection, "registrations", id=1, event_id=1, contact_id=2502, status="confirmed",
                           manage_token="m", ticket_secret="t", email="p2502@example.cn", first_name="伟",
                           last_name="王")
        upgrade()
        with _db.engine.connect() as connection:
            keys = dict(connection.execute(sa.text("SELECT id, search_text FROM contacts")).all())
            registration_key = connection.execute(sa.text("SELECT search_text FROM registrations")).scalar_one()
    assert keys[1] == search_key("芳", "王", "华为", "p1@example.cn", "+8613800138000")
    assert keys[2502] == search_key("芳", "王", "华为", "p2502@example.cn") and len(keys) == 2502
    assert registration_key == search_key("伟", "王", "", "p2502@example.cn")
