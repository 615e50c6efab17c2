"""Issue 17: an import's language column (语言) sets each contact's language, read from what people write."""
from eventapp.contacts.importing import ImportField, import_language
from tests.contacts.test_import import contact, run_import


def test_a_language_column_sets_the_contacts_language(db, org):
    content = ("姓名,邮箱,语言\n王芳,wang@example.cn,中文\nAda Lovelace,ada@example.com,English\n"
               "李雷,li@example.cn,zh-CN\nBob,bob@example.com,Français\n").encode("utf-8-sig")
    job = run_import(db, org, content)
    assert job.mapping[2] == ImportField.LANGUAGE
    assert [contact(db, org, address).language for address in
            ("wang@example.cn", "ada@example.com", "li@example.cn", "bob@example.com")] == ["zh_Hans", "en", "zh_Hans", ""]

    # A second import updates it; an empty or unknown cell leaves it as it was.
    run_import(db, org, "email,language\nada@example.com,zh\nwang@example.cn,\nli@example.cn,klingon\n".encode())
    assert [contact(db, org, address).language for address in
            ("ada@example.com", "wang@example.cn", "li@example.cn")] == ["zh_Hans", "zh_Hans", "zh_Hans"]


def test_what_people_write_in_a_language_column():
    for cell, language in (("中文", "zh_Hans"), ("简体中文", "zh_Hans"), (" Chinese ", "zh_Hans"), ("ZH", "zh_Hans"),
                           ("zh_Hans", "zh_Hans"), ("英文", "en"), ("english", "en"), ("en-GB", "en"),
                           ("繁體中文", ""), ("zh-TW", ""), ("", ""), ("=cmd()", ""), ("x" * 500, "")):
        assert import_language(cell) == language, cell


def test_the_contact_page_shows_the_language(client, db, org, login_as):
    login_as()
    run_import(db, org, "email,语言\nwang@example.cn,中文\nada@example.com,\n".encode())
    chinese, unknown = contact(db, org, "wang@example.cn"), contact(db, org, "ada@example.com")
    assert "<dd>简体中文</dd>" in client.get(f"/admin/contacts/{chinese.id}").get_data(as_text=True)
    assert "Not known yet" in client.get(f"/admin/contacts/{unknown.id}").get_data(as_text=True)
