"""The CRM-ready lead export: the file opened as a spreadsheet or a CRM would (csv module, openpyxl), every filter,
the log (a LeadExport row, one EXPORTED activity per contact), bad filters, organisations kept apart, the command
line, and 100k contacts in flat memory."""
import csv
import io
import secrets
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation
from eventapp.contacts.models import Contact
from eventapp.core.time import utcnow
from eventapp.events.models import Campaign
from eventapp.extensions import db
from eventapp.invitations.models import Invitation, Partner
from eventapp.leads import exports
from eventapp.leads.models import ActivityKind, Channel, LeadActivity, LeadStage, LeadState
from eventapp.leads.models.exports import LeadExport
from eventapp.leads.models.scoring import LeadScore, ScoreModel
from eventapp.registration.models import Registration, RegistrationStatus
from tests.conftest import PASSWORD, read_streamed, submit

HEADER = ["First Name", "Last Name", "Email", "Phone", "Company", "Title", "Industry", "Company Size", "City",
          "Lead Source", "Lead Status", "Score", "Last Activity", "Events Registered", "Events Attended", "Owner"]
HYPERLINK = '=HYPERLINK("http://evil.example","Click")'
PAGE = "/admin/leads/export/"


def person(org, email, **values) -> Contact:
    contact = Contact(organisation_id=org.id, email=email, email_key=email, **values)
    db.session.add(contact)
    db.session.flush()
    return contact


def register(event, contact, status=RegistrationStatus.CONFIRMED, attended=False, **values) -> Registration:
    registration = Registration(event_id=event.id, contact_id=contact.id, status=status,
                                manage_token=secrets.token_hex(16), ticket_secret=secrets.token_hex(16),
                                checked_in_at=utcnow() if attended else None, **values)
    db.session.add(registration)
    return registration


def invite(event, contact, partner=None) -> Invitation:
    invitation = Invitation(organisation_id=event.organisation_id, event_id=event.id, contact_id=contact.id,
                            token=secrets.token_hex(16), partner_id=partner.id if partner else None)
    db.session.add(invitation)
    return invitation


def activity(contact, kind=ActivityKind.EMAIL_OPENED, at=None):
    db.session.add(LeadActivity(organisation_id=contact.organisation_id, contact_id=contact.id, kind=kind,
                                occurred_at=at or utcnow(), channel=Channel.EMAIL, meta={}))


def primary_model(org) -> ScoreModel:
    model = ScoreModel(organisation_id=org.id, name="Main", is_primary=True, epoch=utcnow())
    db.session.add(model)
    db.session.flush()
    return model


def score(model, contact, points):
    # Fit points only: they do not decay, so the score is the same whatever the clock says.
    db.session.add(LeadScore(model_id=model.id, contact_id=contact.id, fit=points, anchor=0.0))


def stage(contact, value, owner=None):
    db.session.add(LeadState(contact_id=contact.id, stage=value, owner_user_id=owner.id if owner else None))


def read_csv(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def post_export(client, **form):
    return submit(client, PAGE, {"file_format": "csv", **form})


@pytest.fixture
def organiser(login_as):
    return login_as(Role.ORGANISER)


@pytest.fixture
def world(org, make_event, make_user):
    """Three contacts of the organisation with a bit of everything, and one of another organisation."""
    seller = make_user(Role.SALES, email="sam@acme.example")
    seller.name = "Sam Seller"
    campaign = Campaign(organisation_id=org.id, name="Tour 2027")
    db.session.add(campaign)
    db.session.flush()
    seminar = make_event(title="Shanghai seminar", campaign_id=campaign.id)
    roundtable = make_event(title="Roundtable")
    partner = Partner(organisation_id=org.id, name="Berlin Marketing Association")
    db.session.add(partner)
    db.session.flush()
    model = primary_model(org)
    wei = person(org, "wang.wei@example.cn", first_name="伟", last_name="王", company=HYPERLINK, job_title="总监",
                 phone="+8613800138000", industry="Manufacturing", company_size="200-500", city="上海", origin="web")
    ada = person(org, "ada@example.com", first_name="Ada", last_name="Lovelace", company="Analytical Ltd",
                 job_title="CTO", phone="", origin="import:list.csv")
    bob = person(org, "bob@example.com", first_name="-Bob", last_name="@Builder", company="Bob & Co",
                 origin="manual")
    register(seminar, wei, attended=True, partner_id=partner.id, channel="partner:abc")
    register(roundtable, wei)
    register(roundtable, ada, status=RegistrationStatus.CANCELLED)
    invite(seminar, ada)
    score(model, wei, 80)
    score(model, ada, 20)
    score(model, bob, -40)
    stage(wei, LeadStage.MQL, owner=seller)
    activity(wei, at=utcnow() - timedelta(days=2))
    activity(ada, at=utcnow() - timedelta(days=40))
    other = ensure_organisation("globex", "Globex")
    db.session.flush()
    person(other, "stranger@globex.example", first_name="Not", last_name="Ours")
    db.session.commit()
    return dict(org=org, seminar=seminar, roundtable=roundtable, campaign=campaign, partner=partner, wei=wei,
                ada=ada, bob=bob, seller=seller, other=other)


def emails(rows) -> set[str]:
    return {row["Email"] for row in rows}


# ---- the file -----------------------------------------------------------------------------------------------------

def test_the_csv_opens_in_a_spreadsheet_and_imports_into_a_crm(client, organiser, world):
    response = post_export(client)
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="leads-')
    body = response.get_data()
    assert b"\r\n" in body and body.count(b"\n") == body.count(b"\r\n")  # RFC 4180 line ends
    assert next(csv.reader(io.StringIO(body.decode("utf-8-sig")))) == HEADER
    rows = {row["Email"]: row for row in read_csv(body)}
    assert set(rows) == {"wang.wei@example.cn", "ada@example.com", "bob@example.com"}
    wei, ada, bob = rows["wang.wei@example.cn"], rows["ada@example.com"], rows["bob@example.com"]
    assert (wei["First Name"], wei["Last Name"], wei["Title"], wei["City"]) == ("伟", "王", "总监", "上海")
    assert wei["Company"] == "'" + HYPERLINK  # shown as text, never run
    assert wei["Phone"] == "+8613800138000"  # a phone number stays a phone number
    assert (bob["First Name"], bob["Last Name"]) == ("'-Bob", "'@Builder")
    assert (wei["Score"], ada["Score"], bob["Score"]) == ("80", "20", "-40")  # numbers are no formula
    assert wei["Lead Status"] == "Marketing qualified (MQL)" and ada["Lead Status"] == "New"
    assert wei["Owner"] == "Sam Seller" and ada["Owner"] == ""
    assert (wei["Events Registered"], wei["Events Attended"]) == ("2", "1")
    assert (ada["Events Registered"], ada["Events Attended"]) == ("0", "0")  # cancelled; invited only
    assert (wei["Lead Source"], ada["Lead Source"], bob["Lead Source"]) == ("Web", "Import", "Manual")
    assert wei["Last Activity"].endswith("+00:00") and bob["Last Activity"] == ""
    assert wei["Industry"] == "Manufacturing" and wei["Company Size"] == "200-500"


@pytest.mark.parametrize("phone, written", [
    ("+8613800138000", "+8613800138000"),  # E.164: no formula can look like this
    ("+442079460958", "+442079460958"),
    ("+86 138 0013", "'+86 138 0013"),  # not E.164: treated as any other text
    ("+1", "'+1"),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("=1+2", "'=1+2"),
])
def test_only_a_valid_e164_phone_is_written_as_it_is(client, organiser, org, phone, written):
    person(org, "p@example.com", phone=phone)
    db.session.commit()
    assert read_csv(post_export(client).get_data())[0]["Phone"] == written


def test_the_xlsx_keeps_text_cells_text_and_numbers_numbers(client, organiser, world):
    response = post_export(client, file_format="xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    by_email = {row[2]: row for row in rows[1:]}
    wei = by_email["wang.wei@example.cn"]
    assert wei[:2] == ("伟", "王")
    assert wei[3] == "+8613800138000"
    company = next(cell for cell in sheet[1 + list(by_email).index("wang.wei@example.cn") + 1] if cell.column == 5)
    assert company.value == HYPERLINK and company.data_type == "s"  # a string, not a formula
    numbers = [wei[HEADER.index(name)] for name in ("Score", "Events Registered", "Events Attended")]
    assert all(type(value) is int for value in numbers), numbers  # they sort and sum in the spreadsheet


# ---- filters ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form, expected", [
    (lambda w: {"event_id": w["seminar"].id}, {"wang.wei@example.cn", "ada@example.com"}),  # registered, invited
    (lambda w: {"event_id": w["roundtable"].id}, {"wang.wei@example.cn", "ada@example.com"}),  # cancelled counts
    (lambda w: {"campaign_id": w["campaign"].id}, {"wang.wei@example.cn", "ada@example.com"}),
    (lambda w: {"stage": "mql"}, {"wang.wei@example.cn"}),
    (lambda w: {"stage": "new"}, {"ada@example.com", "bob@example.com"}),  # no lead state yet: new
    (lambda w: {"score_min": "10"}, {"wang.wei@example.cn", "ada@example.com"}),
    (lambda w: {"score_min": "-50", "score_max": "20"}, {"ada@example.com", "bob@example.com"}),
    (lambda w: {"partner_id": w["partner"].id}, {"wang.wei@example.cn"}),
    (lambda w: {"channel": "partner:abc"}, {"wang.wei@example.cn"}),
    (lambda w: {"active_from": (utcnow() - timedelta(days=3)).date().isoformat()}, {"wang.wei@example.cn"}),
    (lambda w: {"active_to": (utcnow() - timedelta(days=30)).date().isoformat()}, {"ada@example.com"}),
    (lambda w: {"stage": "mql", "score_max": "50"}, set()),
])
def test_each_filter(client, organiser, world, form, expected):
    response = post_export(client, **{name: str(value) for name, value in form(world).items()})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert emails(read_csv(response.get_data())) == expected


def test_the_form_offers_the_organisations_own_choices(client, organiser, world):
    page = client.get(PAGE).get_data(as_text=True)
    for label in ("Event", "Campaign", "Partner", "Sign-up channel", "Lead stage", "Lowest score", "Highest score",
                  "Last activity from", "Last activity until"):
        assert f">{label}</label>" in page
    assert "Shanghai seminar" in page and "Tour 2027" in page and "Berlin Marketing Association" in page
    assert "Marketing qualified (MQL)" in page
    assert 'href="/admin/leads/export/"' in client.get("/admin/contacts/").get_data(as_text=True)


# ---- the log ------------------------------------------------------------------------------------------------------

def test_an_export_is_logged_with_an_activity_per_contact(client, organiser, world):
    response = post_export(client, score_min="10", file_format="xlsx")
    assert response.status_code == 200
    logged = db.session.scalars(sa.select(LeadExport)).one()
    assert (logged.user_id, logged.format, logged.row_count) == (organiser.id, "xlsx", 2)
    assert logged.filters == {"score_min": 10.0} and logged.organisation_id == world["org"].id
    activities = db.session.scalars(sa.select(LeadActivity).where(LeadActivity.kind == ActivityKind.EXPORTED)).all()
    assert {a.contact_id for a in activities} == {world["wei"].id, world["ada"].id}
    assert all(a.actor_user_id == organiser.id and a.channel == Channel.STAFF and a.meta["export_id"] == logged.id
               for a in activities)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Score 10 to …" in page and "XLSX" in page and organiser.email in page
    # the export is no sign of interest: Last Activity and its filter stay as they were
    again = read_csv(post_export(client, active_from=utcnow().date().isoformat()).get_data())
    assert again == []


def test_looking_at_the_form_changes_nothing(client, organiser, world):
    assert client.get(PAGE).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadExport)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadActivity)
                             .where(LeadActivity.kind == ActivityKind.EXPORTED)) == 0


# ---- bad filters and other organisations --------------------------------------------------------------------------

@pytest.mark.parametrize("form, message", [
    ({"score_min": "50", "score_max": "10"}, "The highest score is below the lowest"),
    ({"active_from": "2026-12-10", "active_to": "2026-12-01"}, "The last day is before the first day"),
    ({"active_from": "2026-13-40"}, "Not a valid date value."),
    ({"score_min": "lots"}, "Not a valid decimal value."),
    ({"score_min": "1e400"}, "Give a score between"),
    ({"score_max": "NaN"}, "Give a score between"),
    ({"stage": "hot"}, "Not a valid choice."),
    ({"channel": "x" * 10_000}, "Not a valid choice."),
    ({"file_format": "pdf"}, "Not a valid choice."),
    ({"file_format": ""}, "Choose CSV or Excel."),
    ({"event_id": "99999"}, "Not a valid choice."),
])
def test_bad_filters_are_told_and_change_nothing(client, organiser, world, form, message):
    response = post_export(client, **form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadExport)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadActivity)
                             .where(LeadActivity.kind == ActivityKind.EXPORTED)) == 0


def test_an_event_deleted_after_the_form_was_checked_is_told(client, organiser, world, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise exports.FilterRefused({"event_id": "There is no such event."})

    monkeypatch.setattr(exports, "start_export", refuse)
    response = post_export(client, event_id=str(world["seminar"].id))
    assert response.status_code == 422 and "There is no such event." in response.get_data(as_text=True)


def test_another_organisations_rows_are_neither_offered_nor_exported(client, world, make_event):
    other = world["other"]
    create_user("boss@globex.example", PASSWORD, Role.OWNER, other)
    db.session.commit()
    assert submit(client, "/login", {"email": "boss@globex.example", "password": PASSWORD}).status_code == 303
    page = client.get(PAGE).get_data(as_text=True)
    assert "Shanghai seminar" not in page and "Berlin Marketing Association" not in page
    assert post_export(client, event_id=str(world["seminar"].id)).status_code == 422
    assert emails(read_csv(post_export(client).get_data())) == {"stranger@globex.example"}
    # the operation refuses another organisation's ids by itself (the command line has no form)
    with pytest.raises(exports.FilterRefused) as refused:
        exports.start_export(other.id, None, exports.Filters(partner_id=world["partner"].id), exports.ExportFormat.CSV)
    assert refused.value.problems == {"partner_id": "There is no such partner."}


def test_an_erased_contact_is_not_exported(client, organiser, world):
    world["ada"].erased_at = utcnow()
    db.session.commit()
    assert "ada@example.com" not in emails(read_csv(post_export(client).get_data()))


# ---- the command line ---------------------------------------------------------------------------------------------

def run_cli(app, *args):
    return CliRunner().invoke(app.cli, ["leads", "export", *args], catch_exceptions=False)


def test_the_command_line_writes_the_same_file(app, world, tmp_path):
    result = run_cli(app, "--org", "acme")
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout_bytes)
    assert emails(rows) == {"wang.wei@example.cn", "ada@example.com", "bob@example.com"}
    assert list(rows[0]) == HEADER
    target = tmp_path / "leads.xlsx"
    result = run_cli(app, "--org", "acme", "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "3 contacts" in result.stderr
    sheet = openpyxl.load_workbook(target).active
    assert [cell.value for cell in sheet[1]] == HEADER and sheet.max_row == 4
    logged = db.session.scalars(sa.select(LeadExport).order_by(LeadExport.id)).all()
    assert [(export.user_id, export.format, export.row_count) for export in logged] == [(None, "csv", 3),
                                                                                       (None, "xlsx", 3)]
    actors = db.session.execute(sa.select(LeadActivity.actor_user_id, LeadActivity.channel).distinct()
                                .where(LeadActivity.kind == ActivityKind.EXPORTED)).all()
    assert actors == [(None, Channel.SYSTEM.value)]


def test_the_command_line_takes_the_same_filters(app, world):
    result = run_cli(app, "--org", "acme", "--stage", "mql", "--min-score", "50", "--event", str(world["seminar"].id),
                     "--active-from", (utcnow() - timedelta(days=3)).date().isoformat())
    assert result.exit_code == 0, result.output
    assert emails(read_csv(result.stdout_bytes)) == {"wang.wei@example.cn"}
    logged = db.session.scalars(sa.select(LeadExport)).one()
    assert logged.filters["stage"] == "mql" and logged.row_count == 1


@pytest.mark.parametrize("args, message", [
    ((), "name the organisation with --org (there are: acme, globex)"),
    (("--org", "nope"), "there is no organisation with the slug 'nope'"),
    (("--org", "acme", "--format", "xlsx"), "an XLSX file needs --output"),
    (("--org", "acme", "--format", "pdf"), "'pdf' is not one of 'csv', 'xlsx'"),
    (("--org", "acme", "--min-score", "50", "--max-score", "10"), "The highest score is below the lowest"),
    (("--org", "acme", "--stage", "hot"), "There is no such stage."),
    (("--org", "acme", "--active-from", "2026-02-30"), "'2026-02-30' does not match the format '%Y-%m-%d'"),
])
def test_the_command_line_says_what_is_wrong(app, world, args, message):
    result = CliRunner().invoke(app.cli, ["leads", "export", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadExport)) == 0


def test_the_command_line_reports_an_unwritable_file(app, world, tmp_path):
    result = CliRunner().invoke(app.cli, ["leads", "export", "--org", "acme",
                                          "--output", str(tmp_path / "no" / "x.csv")])
    assert result.exit_code != 0 and "cannot write" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadExport)) == 0


# ---- volume -------------------------------------------------------------------------------------------------------

LARGE = 100_000


def seed_contacts(organisation_id: int, count: int) -> None:
    """`count` contacts, an activity and a lead state each, by set-based inserts (seconds, not minutes)."""
    now = utcnow()
    with db.engine.begin() as connection:
        for start in range(0, count, 10_000):
            connection.execute(Contact.__table__.insert(), [
                {"organisation_id": organisation_id, "email": f"p{n}@bulk.example", "email_key": f"p{n}@bulk.example",
                 "first_name": f"Person{n}", "last_name": "Bulk", "company": f"Company {n % 500}",
                 "job_title": "Buyer", "phone": f"+4930{n:08d}", "company_size": "", "industry": "", "city": "",
                 "origin": "web", "marketing_consent": False, "referred_channel": "", "created_at": now,
                 "updated_at": now} for n in range(start, min(start + 10_000, count))])
        contacts = sa.select(Contact.id).where(Contact.organisation_id == organisation_id)
        activities = LeadActivity.__table__.c
        connection.execute(sa.insert(LeadActivity.__table__).from_select(
            [activities.organisation_id, activities.contact_id, activities.kind, activities.occurred_at,
             activities.channel, activities.meta],
            sa.select(sa.literal(organisation_id), Contact.id, sa.literal("email_opened"),
                      sa.literal(now, LeadActivity.occurred_at.type), sa.literal("email"), sa.literal({}, sa.JSON))
            .where(Contact.id.in_(contacts))))
        connection.execute(sa.insert(LeadState.__table__).from_select(
            ["contact_id", "stage", "stage_reason", "updated_at"],
            sa.select(Contact.id, sa.literal("engaged"), sa.literal(""), sa.literal(now, LeadState.updated_at.type))
            .where(Contact.id.in_(contacts))))
        if connection.dialect.name == "postgresql":
            # A live database has its statistics (autovacuum); without them, right after a bulk insert, PostgreSQL
            # plans the activities' aggregate as one row and joins 100k × 100k (minutes instead of seconds).
            connection.execute(sa.text("ANALYZE contacts, lead_activities, lead_states, registrations"))


def test_100k_contacts_stream_in_flat_memory(client, organiser, org):
    seed_contacts(org.id, LARGE)
    page = client.get(PAGE)
    form = {**{"csrf_token": _csrf(page.get_data(as_text=True))}, "file_format": "csv"}
    read = read_streamed(lambda: client.post(PAGE, data=form, buffered=False))
    first, received, lines, chunks, early_peak, peak, seconds = (read.first, read.received, read.lines, read.chunks,
                                                                  read.early_peak, read.peak, read.seconds)
    print(f"\n{LARGE} leads: {received / 1e6:.1f} MB of CSV in {seconds:.2f} s (under tracemalloc), {chunks} chunks, "
          f"peak traced memory {peak / 1e6:.1f} MB (after 5 chunks: {early_peak / 1e6:.1f} MB)")
    assert first.startswith(b"\xef\xbb\xbfFirst Name,Last Name,Email,Phone,")
    assert lines == LARGE + 1
    assert peak < 40e6 and peak < early_peak + 20e6  # flat: the whole file is ~10 MB, and it is never held
    assert db.session.scalar(sa.select(LeadExport.row_count)) == LARGE
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadActivity)
                             .where(LeadActivity.kind == ActivityKind.EXPORTED)) == LARGE


def _csrf(html: str) -> str:
    from tests.conftest import hidden_fields
    return hidden_fields(html)["csrf_token"]
