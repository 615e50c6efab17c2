"""The scoring settings pages (issue 16, helper "scoring"): rules, rescoring with progress, bad input, isolation,
and the contact page's explanation."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation
from eventapp.contacts import editing
from eventapp.contacts.normalisation import normalise_email
from eventapp.core.time import utcnow
from eventapp.leads import scoring
from eventapp.leads.models import ActivityKind
from eventapp.leads.models.scoring import RescoreJob, RescoreStatus, ScoreModel, ScoreRule
from eventapp.leads.operations import record_activity
from eventapp.messaging.operations import sweep
from tests.conftest import PASSWORD, submit


def people(db, org, count=5, **details):
    contacts = [editing.add_contact(org.id, normalise_email(f"p{n}@example.com"), {"city": f"Town {n}", **details},
                                    []) for n in range(count)]
    db.session.commit()
    return contacts


def score_now(contact, model_id):
    return dict((model.id, value) for model, value in scoring.current_scores(contact.id))[model_id]


def text(response):
    return response.get_data(as_text=True)


def test_the_settings_list_the_default_score_and_its_rules(client, db, org, login_as):
    login_as()
    page = client.get("/admin/scoring/")
    assert page.status_code == 200 and scoring.DEFAULT_MODEL_NAME in text(page)
    model = scoring.primary_model(org.id)
    page = client.get(f"/admin/scoring/{model.id}")
    assert page.status_code == 200
    assert "CEO, CTO" in text(page) and "Attended (checked in)" in text(page) and "+20" in text(page)
    assert '<label for="points">' in text(page)


def test_a_rule_change_recomputes_everyone_with_progress(client, db, org, login_as):
    login_as()
    contacts = people(db, org, count=5, job_title="Buyer")
    model = scoring.primary_model(org.id)
    page_url = f"/admin/scoring/{model.id}"
    response = submit(client, page_url, {"kind": "fit", "field": "job_title", "pattern": "buyer, 采购",
                                         "points": "12"}, post_url=f"{page_url}/rules")
    assert response.status_code == 303
    job = scoring.latest_job(model.id)
    assert (job.status, job.done, job.total) == (RescoreStatus.RUNNING, 0, 5)
    assert "0 of 5 contacts" in text(client.get(page_url))
    assert scoring.claim(job.id, 60)
    assert scoring.run_chunk(job.id, 60, size=2) is False
    assert "2 of 5 contacts" in text(client.get(page_url))
    assert 'http-equiv="refresh"' in text(client.get(page_url))
    db.session.execute(sa.update(RescoreJob).values(locked_until=None))
    db.session.commit()
    sweep()
    db.session.expire_all()
    job = db.session.get(RescoreJob, job.id)
    assert (job.status, job.done) == (RescoreStatus.DONE, 5)
    page = text(client.get(page_url))
    assert "Done" in page and 'http-equiv="refresh"' not in page
    assert [score_now(contact, model.id) for contact in contacts] == [12] * 5


def test_a_change_while_recomputing_restarts_cleanly(client, db, org, login_as):
    login_as()
    contacts = people(db, org, count=4, industry="Retail")
    model = scoring.primary_model(org.id)
    page_url = f"/admin/scoring/{model.id}"
    submit(client, page_url, {"kind": "fit", "field": "industry", "pattern": "retail", "points": "3"},
           post_url=f"{page_url}/rules")
    first = scoring.latest_job(model.id)
    scoring.run_chunk(first.id, 60, size=2)
    submit(client, page_url, {"kind": "behaviour", "activity_kind": "calendar_downloaded", "points": "50"},
           post_url=f"{page_url}/rules")
    second = scoring.latest_job(model.id)
    db.session.expire_all()
    assert second.id != first.id and db.session.get(RescoreJob, first.id).status == RescoreStatus.FAILED
    assert (second.done, second.total) == (0, 4)
    assert scoring.run_chunk(first.id, 60) is True  # a worker still holding the old job does nothing more
    record_activity(ActivityKind.CALENDAR_DOWNLOADED, organisation_id=org.id, contact_id=contacts[3].id)
    db.session.commit()
    sweep()
    assert [round(score_now(contact, model.id), 3) for contact in contacts] == [3, 3, 3, 53]
    assert scoring.latest_job(model.id).status == RescoreStatus.DONE


def test_editing_and_deleting_a_rule(client, db, org, login_as):
    login_as()
    [contact] = people(db, org, count=1, job_title="CEO")
    model = scoring.primary_model(org.id)
    rule = next(rule for rule in model.rules if "CEO" in rule.pattern)
    rule_id = rule.id
    response = submit(client, f"/admin/scoring/rules/{rule.id}", {"kind": "fit", "field": "job_title",
                                                                  "pattern": "CEO", "points": "33"})
    assert response.status_code == 303
    sweep()
    assert score_now(contact, model.id) == 33
    assert submit(client, f"/admin/scoring/{model.id}", {},
                  post_url=f"/admin/scoring/rules/{rule_id}/delete").status_code == 303
    sweep()
    assert score_now(contact, model.id) == 0
    db.session.expire_all()
    assert db.session.get(ScoreRule, rule_id) is None


@pytest.mark.parametrize("form, message", [
    ({"kind": "fit", "field": "job_title", "pattern": "CEO", "points": "5000"}, "Points are between -1000 and 1000."),
    ({"kind": "fit", "field": "job_title", "pattern": "CEO", "points": "many"}, "Not a valid integer value"),
    ({"kind": "fit", "field": "job_title", "pattern": " , ,", "points": "5"}, "Enter at least one word"),
    ({"kind": "fit", "field": "password_hash", "pattern": "x", "points": "5"}, "Choose a field from the list."),
    ({"kind": "fit", "field": "", "pattern": "x", "points": "5"}, "Choose the profile field"),
    ({"kind": "fit", "field": "job_title", "pattern": "CEO" * 400, "points": "5"}, "Keep the words under 500"),
    ({"kind": "fit", "field": "job_title", "pattern": "<script>", "points": "5"}, "plain text"),
    ({"kind": "fit", "field": "job_title", "pattern": "x" * 70, "points": "5"}, "Each word is at most 60"),
    ({"kind": "behaviour", "activity_kind": "hacked", "points": "5"}, "Choose the activity"),
    ({"kind": "sideways", "points": "5"}, "Not a valid choice"),
    ({"kind": "behaviour", "activity_kind": "checked_in", "points": "5"}, "This score has such a rule already"),
    ({"kind": "fit", "field": "job_title", "pattern": "manager,lead , 经理, 主管", "points": "5"},
     "This score has such a rule already"),
])
def test_bad_rules_are_refused_with_a_reason_and_change_nothing(client, db, org, login_as, form, message):
    login_as()
    people(db, org, count=1)
    model = scoring.primary_model(org.id)
    rules_before = db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRule))
    response = submit(client, f"/admin/scoring/{model.id}", form, post_url=f"/admin/scoring/{model.id}/rules")
    assert response.status_code == 422
    assert message in text(response).replace("&#34;", '"')
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRule)) == rules_before
    assert scoring.latest_job(model.id) is None


@pytest.mark.parametrize("form, message", [
    ({"name": "", "half_life_days": "30", "mql_threshold": "50"}, "Give the score a name"),
    ({"name": "X" * 81, "half_life_days": "30", "mql_threshold": "50"}, "Keep the name under 80"),
    ({"name": "X", "half_life_days": "0", "mql_threshold": "50"}, "The half-life is between 1 and 3650 days."),
    ({"name": "X", "half_life_days": "1e400", "mql_threshold": "50"}, "The half-life is between 1 and 3650 days."),
    ({"name": "X", "half_life_days": "nan", "mql_threshold": "50"}, "The half-life is between 1 and 3650 days."),
    ({"name": "X", "half_life_days": "30", "mql_threshold": "9" * 40}, "The threshold is between 0 and 100000."),
    ({"name": "X", "half_life_days": "30", "mql_threshold": "-1"}, "The threshold is between 0 and 100000."),
    ({"name": "X", "half_life_days": "30", "mql_threshold": "50", "required_fields": "password_hash"},
     "Choose the fields from the list."),
])
def test_bad_model_settings_are_refused(client, db, org, login_as, form, message):
    login_as()
    people(db, org, count=1)
    model = scoring.primary_model(org.id)
    response = submit(client, f"/admin/scoring/{model.id}", form)
    assert response.status_code == 422 and message in text(response)
    db.session.expire_all()
    assert db.session.get(ScoreModel, model.id).name == scoring.DEFAULT_MODEL_NAME


def test_another_score_a_rename_the_primary_and_the_half_life(client, db, org, login_as):
    login_as()
    [contact] = people(db, org, count=1)
    record_activity(ActivityKind.REGISTERED, organisation_id=org.id, contact_id=contact.id,
                    occurred_at=utcnow() - timedelta(days=10))
    db.session.commit()
    default = scoring.primary_model(org.id)
    response = submit(client, "/admin/scoring/new", {"name": "Cloud products", "half_life_days": "10",
                                                     "mql_threshold": "40", "required_fields": ["company", "phone"]})
    assert response.status_code == 303
    cloud = db.session.scalar(sa.select(ScoreModel).where(ScoreModel.name == "Cloud products"))
    assert cloud.required_fields == ["company", "phone"] and not cloud.is_primary
    duplicate = submit(client, "/admin/scoring/new", {"name": "Cloud products", "half_life_days": "10",
                                                      "mql_threshold": "40"})
    assert duplicate.status_code == 422 and "Another score has this name already." in text(duplicate)
    response = submit(client, f"/admin/scoring/{cloud.id}", {"name": "Cloud", "is_primary": "y",
                                                             "half_life_days": "10", "mql_threshold": "40"})
    assert response.status_code == 303
    db.session.expire_all()
    assert scoring.primary_model(org.id).name == "Cloud"
    # a new half-life recomputes everyone: the registration 10 days ago is worth half of 10 at h = 10 days
    assert score_now(contact, default.id) == pytest.approx(10 * 0.5 ** (10 / 30), rel=1e-6)
    submit(client, f"/admin/scoring/{default.id}", {"name": "Default", "half_life_days": "10",
                                                    "mql_threshold": "50"})
    sweep()
    assert score_now(contact, default.id) == pytest.approx(5.0, rel=1e-3)


def test_another_organisations_scores_are_not_there(client, db, org, login_as):
    rival = ensure_organisation("rival", "Rival")
    db.session.commit()
    scoring.ensure_default_model(rival.id)
    db.session.commit()
    theirs = scoring.primary_model(rival.id)
    their_rule = theirs.rules[0]
    login_as()
    assert client.get(f"/admin/scoring/{theirs.id}").status_code == 404
    assert client.get(f"/admin/scoring/rules/{their_rule.id}").status_code == 404
    assert client.get("/admin/scoring/rules/999999").status_code == 404
    page = client.get("/admin/scoring/")
    assert submit(client, "/admin/scoring/", {"kind": "fit", "field": "city", "pattern": "x", "points": "1"},
                  post_url=f"/admin/scoring/{theirs.id}/rules").status_code == 404
    assert submit(client, "/admin/scoring/", {}, post_url=f"/admin/scoring/rules/{their_rule.id}/delete"
                  ).status_code == 404
    assert page.status_code == 200 and len(scoring.primary_model(rival.id).rules) == 16


def test_sales_and_staff_have_no_scoring_settings(client, db, org, login_as):
    login_as(Role.SALES)
    assert client.get("/admin/scoring/").status_code == 403


def test_the_contact_page_explains_the_score_line_by_line(client, db, org, login_as, make_event):
    login_as()
    event = make_event(title="Shanghai seminar")
    contact = editing.add_contact(org.id, normalise_email("wang@example.com"), {"job_title": "技术总监"}, [])
    db.session.commit()
    record_activity(ActivityKind.CHECKED_IN, organisation_id=org.id, contact_id=contact.id, event_id=event.id,
                    occurred_at=utcnow() - timedelta(days=12))
    db.session.commit()
    page = text(client.get(f"/admin/contacts/{contact.id}"))
    assert "Scores" in page and "Shanghai seminar" in page and "+20" in page and "12 days ago" in page
    worth = 20 * 0.5 ** (12 / 30)
    assert f"{worth:.1f}" in page and "+10" in page and "总监" in page
    assert f'<td class="score-total">{10 + worth:.1f}</td>' in page


def test_an_unused_user_of_the_other_organisation_sees_their_own(client, db, org):
    rival = ensure_organisation("rival", "Rival")
    create_user("owner@rival.example", PASSWORD, Role.OWNER, rival)
    db.session.commit()
    submit(client, "/login", {"email": "owner@rival.example", "password": PASSWORD})
    assert client.get("/admin/scoring/").status_code == 200
    assert [model.organisation_id for model in scoring.models_of(rival.id)] == [rival.id]
    assert scoring.models_of(org.id) == []
