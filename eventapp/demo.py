"""Demo data, made through each feature's own operations. Loading it twice changes nothing."""
from datetime import datetime, time, timedelta

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation, find_user
from eventapp.contacts import operations as contacts
from eventapp.contacts.normalisation import normalise_email
from eventapp.core.time import from_local, utcnow
from eventapp.events import operations as events
from eventapp.events.models import EventKind, EventStatus, QuestionKind
from eventapp.extensions import db
from eventapp.invitations import partners, sending
from eventapp.invitations.models import PartnerKind
from eventapp.registration import operations as registration
from eventapp.registration.operations import Signup

DEMO_ORG = "demo"
DEMO_EMAIL = "organiser@demo.example"
DEMO_PASSWORD = "demo-organiser"
DEMO_PARTNER_EMAIL = "partner@demo.example"
DEMO_PARTNER_PASSWORD = "demo-partner-portal"
DEMO_SALES_EMAIL = "sales@demo.example"
DEMO_SALES_PASSWORD = "demo-sales-leads"
# A colleague of the team who works in Chinese, and the team's Shanghai seminar in Chinese and English.
DEMO_ZH_EMAIL = "organiser-zh@demo.example"
DEMO_ZH_PASSWORD = "demo-organiser-zh"
DEMO_ZH_SLUG = "demo-shanghai"

SEMINAR_AGENDA = """\
| Time | Session |
|------|---------|
| 09:00 | Coffee and registration |
| 09:30 | **Keynote:** what buyers expect from B2B events in 2027 |
| 10:30 | Panel: turning attendees into pipeline |
| 12:00 | Lunch and networking |
"""

SEMINAR_SPEAKERS = """\
- **Mei Lin**, VP Marketing, Northwind Traders
- **Jonas Berg**, Head of Demand Generation, Contoso
"""

PEOPLE = [
    ("Ada", "Lovelace", "ada@analytical.example", "Analytical Engines", "CTO"),
    ("Grace", "Hopper", "grace@cobol.example", "Compiler Corp", "Head of Engineering"),
    ("Wang", "Fang", "wang.fang@huaxia.example", "Huaxia Logistics", "Marketing Director"),
    ("Liam", "Murphy", "liam@greenfield.example", "Greenfield Energy", "Procurement Lead"),
    ("Sofia", "Rossi", "sofia@vela.example", "Vela Design", "Founder"),
    ("Kenji", "Sato", "kenji@kaizen.example", "Kaizen Robotics", "COO"),
]


def _at(days: int, hour: int, zone: str) -> datetime:
    day = (utcnow() + timedelta(days=days)).date()
    return from_local(datetime.combine(day, time(hour, 0)), zone)


PARTNER_PEOPLE = [
    ("Lena", "Schmidt", "lena@spree-media.example", "Spree Media", "Marketing Manager"),
    ("Omar", "Haddad", "omar@havel-tech.example", "Havel Tech", "Growth Lead"),
]


def _demo_partner(organisation, seminar) -> None:
    """A partner with its portal login and its tracked link to the seminar, which a few people followed and two
    signed up through."""
    partner = partners.save_partner(organisation.id, {"name": "Berlin Marketing Association",
                                                      "kind": PartnerKind.ASSOCIATION})
    partners.add_login(partner, DEMO_PARTNER_EMAIL, "Association office", DEMO_PARTNER_PASSWORD)
    link = partners.create_link(organisation.id, f"event:{seminar.id}", partner=partner)
    for _visit in range(5):
        partners.record_click(link, seminar)
    for first, last, email, company, title in PARTNER_PEOPLE:
        registration.register(seminar, Signup(
            email=normalise_email(email), details={"first_name": first, "last_name": last, "company": company,
                                                   "job_title": title},
            channel=link.channel, attribution={"partner_id": partner.id}))


INVITED_PEOPLE = [
    ("Priya", "Patel", "priya@orbit.example", "Orbit Analytics", "Head of Marketing"),
    ("Lucas", "Martin", "lucas@atelier.example", "Atelier Numérique", "Growth Lead"),
    ("伟", "张", "zhang.wei@donghai.example", "东海物流", "市场总监"),
]

INVITATION_BODY = """\
Dear {full_name},

we would like to invite you to **{event_title}**, a practical morning on turning events into qualified leads,
with Mei Lin of Northwind Traders and Jonas Berg of Contoso.

You can sign up right here in this mail: your details are filled in already. Seats are limited to 60.
"""


def _demo_invitation(organisation, seminar) -> None:
    """The seminar's invitation, sent to three people who have not signed up yet (its mails go out through SMTP
    when SMTP_URL is set, else to /dev/mailbox)."""
    organiser = find_user(DEMO_EMAIL)
    for first, last, email, company, title in INVITED_PEOPLE:
        contacts.contact_for(organisation.id, normalise_email(email), {
            "first_name": first, "last_name": last, "company": company, "job_title": title})
    send = sending.save_send(None, seminar, {
        "subject": "Invitation: {event_title}", "preheader": "Sign up inside this mail: your details are filled in.",
        "body_md": INVITATION_BODY, "sender_name": "Demo Marketing Team",
        "pasted_addresses": "\n".join(email for _, _, email, _, _ in INVITED_PEOPLE)},
        organiser.id if organiser else None)
    db.session.flush()
    sending.start_send(send)


def _demo_handoff(organisation) -> None:
    """A sales login, and Ada (a CTO who signed up for the seminar) handed to it by the organiser: the handoff mail
    goes out through SMTP or to /dev/mailbox, with its feedback link. A lead the scores handed over already (to
    the same sales login) is enough."""
    from eventapp.contacts.models import Contact
    from eventapp.leads import handoffs

    sales = create_user(DEMO_SALES_EMAIL, DEMO_SALES_PASSWORD, Role.SALES, organisation, name="Sam Sales")
    db.session.flush()
    if handoffs.open_handoffs(organisation.id):
        return
    ada = db.session.execute(db.select(Contact).where(Contact.organisation_id == organisation.id,
                                                      Contact.email_key == "ada@analytical.example")).scalar_one()
    handoffs.hand_off_by_organiser(ada, sales.id, find_user(DEMO_EMAIL).id)


SHANGHAI_AGENDA = """\
| 时间 | 议程 |
|------|------|
| 14:00 | 签到与交流 |
| 14:30 | **主题演讲：** 2027 年 B2B 买家对活动的期待 |
| 15:30 | 圆桌讨论：如何把参会者转化为销售商机 |
| 17:00 | 茶歇与自由交流 |
"""

SHANGHAI_PEOPLE = [  # family name, given name, as Chinese forms ask for them
    ("王", "芳", "wangfang@shenzhou.example", "神州物流", "市场总监", "+8613800138000"),
    ("李", "伟", "liwei@huaxing.example", "华星科技", "采购经理", "+8613912345678"),
    ("张", "敏", "zhangmin@yunfan.example", "云帆软件", "首席执行官", ""),
]


def _demo_shanghai(organisation) -> None:
    """A seminar in Shanghai offered in Chinese and English (Chinese first), local mobile numbers read as Chinese,
    a colleague who works in Chinese, and three people who signed up on its Chinese page (their confirmations are
    in Chinese). Loaded once, also into a demo loaded before it existed."""
    from eventapp.accounts.operations import choose_language

    if find_user(DEMO_ZH_EMAIL) is None:
        choose_language(create_user(DEMO_ZH_EMAIL, DEMO_ZH_PASSWORD, Role.ORGANISER, organisation, name="陈静"),
                        "zh_Hans")
    if events.find_by_slug(DEMO_ZH_SLUG) is not None:
        return
    zone = "Asia/Shanghai"
    seminar = events.save_event(organisation.id, {
        "title": "活动驱动增长：B2B 营销上海研讨会", "slug": DEMO_ZH_SLUG, "kind": EventKind.SEMINAR,
        "timezone": zone, "languages": "zh_Hans,en", "phone_region": "CN",
        "summary": "一个下午，与 B2B 市场同行一起探讨如何让每一场活动都带来合格的销售线索。",
        "agenda_md": SHANGHAI_AGENDA, "starts_at": _at(35, 14, zone), "ends_at": _at(35, 17, zone),
        "venue_name": "上海浦东香格里拉大酒店 2 楼宴会厅", "venue_address": "上海市浦东新区富城路 33 号",
        "capacity": 80, "waitlist_enabled": True, "sms_enabled": True})
    db.session.flush()
    events.save_question(seminar, {"label": "您今年最关注的活动目标是？", "kind": QuestionKind.SINGLE_CHOICE,
                                   "required": True, "options": ["获取更多有效线索", "提升品牌知名度", "维护客户关系"]})
    events.set_status(seminar, EventStatus.PUBLISHED)
    db.session.flush()
    goal = str(seminar.questions[0].id)
    for family, given, email, company, title, phone in SHANGHAI_PEOPLE:
        registration.register(seminar, Signup(
            email=normalise_email(email), language="zh_Hans", answers={goal: "获取更多有效线索"},
            details={"first_name": given, "last_name": family, "company": company, "job_title": title,
                     "phone": phone}))


def demo_partner_link(base_url: str) -> str:
    """The demo partner's tracked link, at the address the demo is served from."""
    found = partners.links_of(ensure_organisation(DEMO_ORG, "Demo Marketing Team").id)
    return f"{base_url}/p/{found[0].code}" if found else ""


def load_demo() -> list:
    organisation = ensure_organisation(DEMO_ORG, "Demo Marketing Team")
    if find_user(DEMO_EMAIL) is None:
        create_user(DEMO_EMAIL, DEMO_PASSWORD, Role.ORGANISER, organisation, name="Demo Organiser")
    existing = events.find_by_slug("demo-seminar")
    if existing is not None:
        _demo_shanghai(organisation)
        db.session.commit()
        return [events.find_by_slug(slug)
                for slug in ("demo-seminar", "demo-roundtable", "demo-trade-show", DEMO_ZH_SLUG)]

    campaign = events.save_campaign(organisation.id, {
        "name": "Spring demand-generation tour",
        "description": "Seminars, a roundtable and our trade-show stand, all feeding one pipeline."})
    db.session.flush()
    zone = "Europe/Berlin"
    seminar = events.save_event(organisation.id, {
        "title": "Events that make pipeline: a half-day seminar", "slug": "demo-seminar",
        "kind": EventKind.SEMINAR, "campaign_id": campaign.id, "timezone": zone,
        "summary": "A practical morning for B2B marketers on turning events into qualified leads.",
        "agenda_md": SEMINAR_AGENDA, "speakers_md": SEMINAR_SPEAKERS,
        "starts_at": _at(21, 9, zone), "ends_at": _at(21, 13, zone),
        "venue_name": "Kulturbrauerei, Room 3", "venue_address": "Schönhauser Allee 36, 10435 Berlin",
        "capacity": 60, "waitlist_enabled": True})
    roundtable = events.save_event(organisation.id, {
        "title": "CMO roundtable: budgets for 2027", "slug": "demo-roundtable", "kind": EventKind.ROUNDTABLE,
        "campaign_id": campaign.id, "timezone": "Asia/Shanghai",
        "summary": "Twelve marketing leaders, one table, Chatham House rules.",
        "starts_at": _at(30, 18, "Asia/Shanghai"), "ends_at": _at(30, 21, "Asia/Shanghai"),
        "venue_name": "The Bund Club", "venue_address": "No. 3 Zhongshan East 1st Road, Shanghai",
        "capacity": 12, "approval_required": True, "waitlist_enabled": True, "phone_required": True})
    trade_show = events.save_event(organisation.id, {
        "title": "Meet us at Logistics Expo, stand B12", "slug": "demo-trade-show", "kind": EventKind.TRADE_SHOW,
        "campaign_id": campaign.id, "timezone": "Europe/London",
        "summary": "Book a slot at our stand or just come by.",
        "starts_at": _at(45, 9, "Europe/London"), "ends_at": _at(47, 17, "Europe/London"),
        "venue_name": "ExCeL London", "venue_address": "Royal Victoria Dock, 1 Western Gateway, London E16 1XL",
        "capacity": None})
    db.session.flush()
    events.save_question(seminar, {"label": "What is your main goal for events this year?",
                                   "kind": QuestionKind.SINGLE_CHOICE, "required": True,
                                   "options": ["More qualified leads", "Brand awareness", "Customer retention"]})
    events.save_question(seminar, {"label": "Dietary requirements", "kind": QuestionKind.TEXT, "required": False})
    events.save_question(roundtable, {"label": "Which topics should we cover?", "kind": QuestionKind.MULTIPLE_CHOICE,
                                      "required": False, "options": ["Budgets", "Attribution", "Team structure"]})
    events.save_question(trade_show, {"label": "Would you like a demo at the stand?", "kind": QuestionKind.YES_NO,
                                      "required": False})
    for event in (seminar, roundtable, trade_show):
        events.set_status(event, EventStatus.PUBLISHED)
    db.session.flush()

    goal = str(seminar.questions[0].id)
    for index, (first, last, email, company, title) in enumerate(PEOPLE):
        details = {"first_name": first, "last_name": last, "company": company, "job_title": title}
        registration.register(seminar, Signup(
            email=normalise_email(email), details=details, answers={goal: "More qualified leads"},
            marketing_consent=index % 2 == 0,
            consent_text=registration.marketing_consent_text(organisation.name), channel="web"))
        if index < 2:
            registration.register(roundtable, Signup(
                email=normalise_email(email), details={**details, "phone": f"+4930123456{index:02d}"}))
    _demo_partner(organisation, seminar)
    _demo_invitation(organisation, seminar)
    _demo_handoff(organisation)
    _demo_shanghai(organisation)
    db.session.commit()
    return [seminar, roundtable, trade_show, events.find_by_slug(DEMO_ZH_SLUG)]
