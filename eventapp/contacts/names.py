"""People's names: how a name is shown and how one typed in a single field is split.

A Chinese (or Japanese, Korean) name is written family name first without a space: 王 + 芳 is 王芳, never "芳 王".
Other names are given name first with a space: "Fang Wang". Everything that shows a person's name (pages, mails'
To: names, exports, the scanner's offline roster) uses `person_name` or the value it computed."""
import re

# CJK ideographs (with extension A and compatibility ideographs), kana and hangul.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def is_cjk(text: str) -> bool:
    """Whether `text` holds a CJK character (a name written in Chinese, Japanese or Korean script)."""
    return bool(_CJK.search(text or ""))


def person_name(given: str | None, family: str | None) -> str:
    """The name as its reader expects it: family + given without a space when either part is CJK (王芳),
    "Given Family" otherwise; either part may be empty (a whole name typed into one field stays as typed)."""
    given, family = (given or "").strip(), (family or "").strip()
    if is_cjk(given) or is_cjk(family):
        return f"{family}{given}"
    return f"{given} {family}".strip()


def split_name(full: str) -> tuple[str, str]:
    """(given, family) from a full name. A Chinese name is family name first: "王 芳" splits at the space, and
    "王芳" without one gives family = the first character, given = the rest, which is the common case (not
    all: two-character family names such as 欧阳 are split wrongly, and are then corrected by hand). Other
    names are given name first and split at the last space: "Ada King Lovelace" → ("Ada King", "Lovelace")."""
    name = " ".join(full.split())
    if _CJK.match(name):
        family, _space, given = name.partition(" ")
        if not given:
            family, given = name[:1], name[1:]
        return given, family
    given, _space, family = name.rpartition(" ")
    return (given, family) if given else (family, "")


def greeting_name(given: str | None, family: str | None) -> str:
    """The name a default greeting uses, in the language being written: the given name in English ("Hello Fang,"),
    the full name in Chinese and for any name written in CJK ("王芳，您好：", "Hello 王芳,"): a Chinese greeting
    by given name alone is for family and close friends."""
    from flask_babel import get_locale

    locale = get_locale()
    if (locale is not None and locale.language == "zh") or is_cjk(given) or is_cjk(family):
        return person_name(given, family)
    return (given or "").strip() or person_name(given, family)


def name_placeholders(given: str | None, family: str | None) -> dict:
    """The name placeholders an organiser's wording may use: {full_name} ({full_name}您好), {family_name}
    (尊敬的{family_name}女士), {given_name}, and the older {first_name}/{last_name} (the same two parts)."""
    given, family = given or "", family or ""
    return {"full_name": person_name(given, family), "family_name": family, "given_name": given,
            "first_name": given, "last_name": family}
