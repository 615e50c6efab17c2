"""Chinese pages and mails render with the system's CJK fonts (no web font from another host), and say their
language (<html lang="zh-Hans">) so browsers pick Simplified Chinese glyphs."""
import re
from pathlib import Path

CJK_FONTS = ('"PingFang SC"', '"Hiragino Sans GB"', '"Microsoft YaHei"', '"Noto Sans CJK SC"', '"Source Han Sans SC"')
STATIC = Path(__file__).parents[2] / "static"
EMAILS = Path(__file__).parents[2] / "templates" / "emails"


def test_the_stylesheet_lists_cjk_system_fonts_after_the_latin_ones():
    css = (STATIC / "css" / "app.css").read_text()
    stack = re.search(r"html \{ font-family: ([^;]+);", css).group(1)
    assert all(font in stack for font in CJK_FONTS)
    assert stack.index('"Segoe UI"') < stack.index('"PingFang SC"') and stack.rstrip().endswith("sans-serif")
    assert "@font-face" not in css and "@import" not in css and "url(http" not in css


def test_every_html_mail_names_the_cjk_fonts():
    for template in EMAILS.rglob("*.html"):
        body = re.search(r"<body style=\"[^\"]*font-family:([^;\"]+)", template.read_text()).group(1)
        assert all(font.replace('"', "'") in body for font in CJK_FONTS), template


def test_a_chinese_page_says_its_language(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    page = client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="en">' in page
