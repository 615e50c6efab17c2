"""Finding a person by what staff type: a name in either order, one character of it, its pinyin, the company, the
email or the phone number however it is spaced (issue 17).

Each contact and each registration keeps one search key (`search_text`), written by `search_key` when the row is
inserted (the column's default `key_on_insert`, so Core INSERTs too) and when the ORM changes the person's details
(`keep_search_key`); a search is a case-insensitive AND of "contains" over that one column, on SQLite and
PostgreSQL alike. The key is folded (NFKC, case-folded) so full-width letters and digits match their plain forms. Its first line is what the
door's offline roster may carry (names, company, pinyin); the second holds the email and phone, which stay on the
server."""
import functools
import re
import unicodedata

import sqlalchemy as sa
from pypinyin import Style, lazy_pinyin

# The details a key is made of; a change to any of them rewrites the key.
KEY_FIELDS = ("first_name", "last_name", "company", "email", "phone")
QUERY_MAX = 100  # characters of a search that count: a pasted page finds no one it should not
TERMS_MAX = 8
_PHONE_SEARCH_MIN_DIGITS = 4
# Han ideographs (with extension A and the compatibility block): what has pinyin, and a search of one is enough.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Names written family name first without a space: Chinese, Japanese (with kana) and Korean (hangul).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")
# Family names read otherwise than the same character in a word (what pypinyin gives without context).
_FAMILY_NAME_READINGS = {"曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "查": "zha",
                         "盖": "ge", "覃": "qin", "缪": "miao", "翟": "zhai", "乐": "yue", "尉": "yu", "句": "gou",
                         "黑": "he", "种": "chong", "员": "yun", "阚": "kan", "召": "shao", "繁": "po", "秘": "bi"}
_PRIVATE_LINE = "\n"  # separates the roster's part of a key from the email and phone; no search term spans it


def fold(text: str | None) -> str:
    """Text as keys and searches compare it: full-width forms made plain (Ｗａｎｇ, １３８), case folded, single
    spaces."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def search_key(first_name: str = "", last_name: str = "", company: str = "", email: str = "",
               phone: str = "") -> str:
    """One person's search key: the name as "given family" and, for a Chinese name, as 王芳 and 芳王; the company;
    the pinyin of a Chinese name (wang fang, wangfang, wf) and company (hua wei, huawei); then, on its own line,
    the email and the phone's digits."""
    given, family, company = fold(first_name), fold(last_name), fold(company)
    public = [f"{given} {family}".strip(), company]
    if _CJK.search(given + family):
        public += [family + given, given + family]
    if _HAN.search(given + family):
        public += _name_pinyin(family + given)
    if _HAN.search(company):
        public += _company_pinyin(company)
    private = [fold(email), re.sub(r"\D", "", phone or "")]
    return " ".join(dict.fromkeys(filter(None, public))) + _PRIVATE_LINE + " ".join(filter(None, private))


def _name_pinyin(name: str) -> tuple[str, ...]:
    """A Chinese name's pinyin spaced and joined and its initials (wang fang, wangfang, wf), read character by
    character (a name is no word: each character is read as it is alone); a family name that reads otherwise as a
    name (曾 is ceng in a word, zeng as a name) both ways."""
    syllables = [_character_pinyin(character) for character in name if _HAN.match(character)]
    if not syllables:
        return ()
    readings = [syllables]
    if _FAMILY_NAME_READINGS.get(name[0], syllables[0]) != syllables[0]:
        readings.append([_FAMILY_NAME_READINGS[name[0]], *syllables[1:]])
    return tuple(form for reading in readings
                 for form in (" ".join(reading), "".join(reading), "".join(syllable[:1] for syllable in reading)))


@functools.lru_cache(maxsize=30_000)  # names are made of a few thousand characters: each is looked up once
def _character_pinyin(character: str) -> str:
    return lazy_pinyin(character, style=Style.NORMAL)[0]


@functools.lru_cache(maxsize=20_000)  # an import repeats its companies: each is read once
def _company_pinyin(company: str) -> tuple[str, ...]:
    """A company's pinyin spaced and joined (hua wei, huawei), read as words (银行 is yin hang)."""
    syllables = lazy_pinyin(company, style=Style.NORMAL, errors="ignore")
    return (" ".join(syllables), "".join(syllables)) if syllables else ()


def roster_key(key: str) -> str:
    """The part of a search key a phone may keep offline: names, company and their pinyin, no email or phone."""
    return key.partition(_PRIVATE_LINE)[0]


def worth_searching(text: str) -> bool:
    """Whether a search as typed so far is worth running: two characters, or one Chinese character (王)."""
    folded = fold(text)
    return len(folded) >= 2 or bool(_HAN.search(folded))


def search_terms(text: str) -> list[str]:
    """What each match must contain: the digits of a phone number however it was typed, else the words."""
    folded = fold(text[:QUERY_MAX * 4])[:QUERY_MAX]
    digits = phone_digits(folded)
    return [digits] if digits else folded.split()[:TERMS_MAX]


def matches(column, text: str):
    """The condition that `column` (a search key) holds every term of the search; % and _ are letters here."""
    terms = search_terms(text)
    if not terms:
        return sa.false()
    return sa.and_(*(column.contains(term, autoescape=True) for term in terms))


def phone_digits(text: str) -> str:
    """The digits of a phone number as people type it, without the leading zeros of a trunk or international
    prefix (020 7946 0958, 0086 138…), so that they occur in its E.164 form (+442079460958): '' for text that is
    not a phone number."""
    if re.search(r"[^\d\s()+\-./]", text):
        return ""
    digits = re.sub(r"\D", "", text).lstrip("0")
    return digits if len(digits) >= _PHONE_SEARCH_MIN_DIGITS else ""


def key_on_insert(context) -> str:
    """The column default of `search_text`: the key of the row being inserted, also by a Core INSERT (a sign-up's
    insert_row, an import's bulk INSERT), from the values it carries (a column it leaves out is empty)."""
    values = context.get_current_parameters()
    return search_key(*(values.get(name) or "" for name in KEY_FIELDS))


def keep_search_key(model) -> None:
    """Rewrite a model's `search_text` whenever the ORM changes one of its KEY_FIELDS: every form, walk-in, edit
    and erasure goes through here without knowing of it (a new row gets its key from the column default)."""

    def before_update(_mapper, _connection, target):
        state = sa.inspect(target)
        if any(state.attrs[name].history.has_changes() for name in KEY_FIELDS):
            target.search_text = search_key(*(getattr(target, name) or "" for name in KEY_FIELDS))

    sa.event.listen(model, "before_update", before_update)
