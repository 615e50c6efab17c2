"""A person's name is shown as its reader expects: 王芳 (family name first, no space), "Fang Wang" otherwise."""

from eventapp.checkin.operations import Holder
from eventapp.contacts.models import Contact
from eventapp.contacts.names import person_name, split_name
from eventapp.registration.models import Registration


def test_a_chinese_name_is_family_name_first_without_a_space():
    assert person_name("芳", "王") == "王芳"
    assert person_name("亮", "诸葛") == "诸葛亮"
    assert person_name("Fang", "王") == "王Fang"  # one part in Chinese is enough to write it the Chinese way


def test_other_names_are_given_name_first():
    assert person_name("Fang", "Wang") == "Fang Wang"
    assert person_name("Ada", "") == "Ada"
    assert person_name("", "Lovelace") == "Lovelace"
    assert person_name(None, None) == ""
    assert person_name("  Ada ", " Lovelace ") == "Ada Lovelace"


def test_a_whole_name_typed_into_one_field_is_kept():
    assert person_name("", "王芳") == "王芳"
    assert person_name("王芳", "") == "王芳"
    assert person_name("", "Ada Lovelace") == "Ada Lovelace"


def test_split_and_join_agree():
    assert person_name(*split_name("王芳")) == "王芳"
    assert person_name(*split_name("Ada King Lovelace")) == "Ada King Lovelace"


def test_every_model_shows_the_name_the_same_way():
    assert Contact(first_name="芳", last_name="王").name == "王芳"
    assert Registration(first_name="芳", last_name="王").name == "王芳"
    assert Holder(1, 1, "芳", "王", "", "").name == "王芳"
    assert Contact(first_name="Fang", last_name="Wang").name == "Fang Wang"
