"""Scores that explain themselves (issue 16, helper "scoring"): fixed clocks, never a sleep."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from eventapp.contacts import editing
from eventapp.contacts.models import Contact
from eventapp.contacts.normalisation import normalise_email
from eventapp.leads import scoring, stages
from eventapp.leads.models import ActivityKind
from eventapp.leads.models.scoring import LeadScore, RuleKind, ScoreEntry, ScoreModel, ScoreRule
from eventapp.leads.operations import record_activity

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def risen(monkeypatch):
    """What stages.score_changed receives (the stages helper's function, recorded instead)."""
    calls = []
    monkeypatch.setattr(stages, "score_changed", lambda *args: calls.append(args))
    return calls


def person(db, org, email="ada@example.com", **details) -> Contact:
    contact = editing.add_contact(org.id, normalise_email(email), details, details.pop("tags", []))
    db.session.commit()
    return contact


def activity(contact, kind, at, event=None) -> int:
    activity_id = record_activity(kind, organisation_id=contact.organisation_id, contact_id=contact.id,
                                  event_id=event.id if event else None, occurred_at=at)
    return activity_id


def score_at(contact, at, model=None) -> float:
    scores = dict((m.id, value) for m, value in scoring.current_scores(contact.id, at))
    model = model or scoring.primary_model(contact.organisation_id)
    return scores[model.id]


def sum_of_entries(contact_id, model, at) -> float:
    """The invariant, computed independently of LeadScore: Σ fit points + Σ behaviour points · 2^(−age/h)."""
    from eventapp.extensions import db

    total = 0.0
    for points, occurred_at in db.session.execute(sa.select(ScoreEntry.points, ScoreEntry.occurred_at).where(
            ScoreEntry.contact_id == contact_id, ScoreEntry.model_id == model.id)):
        if occurred_at is None:
            total += points
        else:
            total += points * 0.5 ** ((at - occurred_at).total_seconds() / 86400 / model.half_life_days)
    return total


# ---- the default model and the maths --------------------------------------------------------------------------

def test_a_default_model_with_rules_exists_after_the_first_activity(db, org, make_event):
    event = make_event(title="Shanghai seminar")
    contact = person(db, org, job_title="CTO", company="Analytical Ltd")
    activity(contact, ActivityKind.CHECKED_IN, T0, event)
    db.session.commit()
    [model] = scoring.models_of(org.id)
    assert model.is_primary and model.half_life_days == 30
    kinds = {rule.activity_kind: rule.points for rule in model.rules if rule.kind == RuleKind.BEHAVIOUR}
    assert kinds[ActivityKind.CHECKED_IN] == 20 and kinds[ActivityKind.UNSUBSCRIBED] == -40
    assert kinds[ActivityKind.EMAIL_OPENED] == 1
    lines = scoring.explain(contact.id, model.id, T0 + timedelta(days=30))
    assert [(line.points, line.now) for line in lines] == [(15, 15.0), (20, pytest.approx(10.0))]
    assert "Shanghai seminar" in lines[1].label and "Attended" in lines[1].label
    assert "CTO" in lines[0].label


def test_behaviour_halves_every_half_life(db, org, risen):
    contact = person(db, org)  # no fit: nothing in the profile
    activity(contact, ActivityKind.REGISTERED, T0)
    db.session.commit()
    assert score_at(contact, T0) == pytest.approx(10.0)
    assert score_at(contact, T0 + timedelta(days=30)) == pytest.approx(5.0)
    assert score_at(contact, T0 + timedelta(days=60)) == pytest.approx(2.5)


@pytest.mark.parametrize("days_later", [0, 1, 12, 30, 95, 365, 3 * 365])
def test_the_score_is_the_sum_of_its_logged_decayed_entries(db, org, make_event, days_later):
    event = make_event()
    contact = person(db, org, job_title="Marketing Director", company_size="1000+", industry="Software")
    for offset, kind in enumerate([ActivityKind.EMAIL_OPENED, ActivityKind.LINK_CLICKED, ActivityKind.REGISTERED,
                                   ActivityKind.CHECKED_IN, ActivityKind.NO_SHOW, ActivityKind.UNSUBSCRIBED]):
        activity(contact, kind, T0 + timedelta(days=offset * 3, hours=offset), event)
    db.session.commit()
    model = scoring.primary_model(org.id)
    at = T0 + timedelta(days=days_later)
    assert score_at(contact, at) == pytest.approx(sum_of_entries(contact.id, model, at), abs=1e-6)
    shown = sum(line.now for line in scoring.explain(contact.id, model.id, at))
    assert shown == pytest.approx(score_at(contact, at), abs=1e-6)
    # a full recompute gives the same numbers
    scoring.rescore_all(model.id, now=T0 + timedelta(days=400))
    db.session.commit()
    assert score_at(contact, at) == pytest.approx(sum_of_entries(contact.id, model, at), abs=1e-6)


def test_fit_words_match_whole_latin_words_and_chinese_anywhere(db, org):
    model_fit = {}
    for email, title in [("a@x.com", "CTO"), ("b@x.com", "Director of Sales"), ("c@x.com", "技术总监"),
                         ("d@x.com", "Co-founder & CEO"), ("e@x.com", "Engineer")]:
        contact = person(db, org, email=email, job_title=title)
        model_fit[title] = score_at(contact, T0)
    assert model_fit == {"CTO": 15, "Director of Sales": 10, "技术总监": 10, "Co-founder & CEO": 15, "Engineer": 0}


def test_a_profile_change_recomputes_the_fit_and_tells_stages_of_a_rise(db, org, risen):
    contact = person(db, org, job_title="Engineer")
    assert score_at(contact, T0) == 0
    editing.edit_contact(contact, normalise_email(contact.email), {"job_title": "VP Engineering",
                                                                   "industry": "Logistics"}, ["VIP"])
    db.session.commit()
    assert score_at(contact, T0) == 15
    model = scoring.primary_model(org.id)
    assert (contact.id, model.id) in [(call[1], call[2]) for call in risen]
    assert risen[-1][3] == pytest.approx(15)
    # a tag rule counts the contact's tags
    scoring.save_rule(model, None, {"kind": RuleKind.FIT, "field": "tag", "pattern": "vip", "points": 7})
    scoring.rescore_all(model.id)
    db.session.commit()
    assert score_at(contact, T0) == 22


def test_stages_hear_of_rises_only(db, org, risen):
    contact = person(db, org)
    risen.clear()
    activity(contact, ActivityKind.CHECKED_IN, T0)
    activity(contact, ActivityKind.NO_SHOW, T0 + timedelta(days=1))
    activity(contact, ActivityKind.MESSAGE_QUEUED, T0 + timedelta(days=1))
    db.session.commit()
    model = scoring.primary_model(org.id)
    assert [(call[0], call[1], call[2]) for call in risen] == [(org.id, contact.id, model.id)]


def test_two_models_side_by_side(db, org):
    contact = person(db, org, job_title="CEO", industry="Manufacturing")
    default = scoring.primary_model(org.id)
    cloud = scoring.add_model(org.id, {"name": "Cloud products", "half_life_days": 10, "mql_threshold": 30})
    scoring.save_rule(cloud, None, {"kind": RuleKind.FIT, "field": "industry", "pattern": "manufacturing",
                                    "points": 40})
    scoring.save_rule(cloud, None, {"kind": RuleKind.BEHAVIOUR, "activity_kind": ActivityKind.REGISTERED,
                                    "points": 30})
    db.session.commit()
    scoring.rescore_all(cloud.id, T0)
    activity(contact, ActivityKind.REGISTERED, T0)
    db.session.commit()
    at = T0 + timedelta(days=10)
    scores = {model.name: value for model, value in scoring.current_scores(contact.id, at)}
    assert scores == {default.name: pytest.approx(15 + 5 + 10 * 0.5 ** (10 / 30)),
                      "Cloud products": pytest.approx(40 + 15)}
    assert scoring.primary_model(org.id).id == default.id


def test_scores_a_year_later_are_exact_and_an_old_epoch_moves_forward(db, org):
    contact = person(db, org)
    model = scoring.primary_model(org.id)
    model.half_life_days, model.epoch = 1.0, T0
    db.session.commit()
    activity(contact, ActivityKind.CHECKED_IN, T0 + timedelta(days=30))
    db.session.commit()
    at = T0 + timedelta(days=365)
    expected = 20 * 0.5 ** 335
    before = score_at(contact, T0 + timedelta(days=31))
    assert before == pytest.approx(10.0)
    assert scoring.rebase_epochs(at) == 1  # 365 half-lives since the epoch: moved to `at`
    db.session.commit()
    assert db.session.get(ScoreModel, model.id).epoch == at
    assert score_at(contact, T0 + timedelta(days=31)) == pytest.approx(10.0, rel=1e-9)
    assert score_at(contact, at) == pytest.approx(expected, rel=1e-9)
    assert scoring.rebase_epochs(at) == 0


def test_the_demo_gives_scores(db):
    from eventapp.demo import load_demo

    load_demo()
    demo = db.session.scalar(sa.select(ScoreModel))
    scored = db.session.scalars(sa.select(LeadScore).where(LeadScore.model_id == demo.id)).all()
    values = [score.fit + score.anchor * scoring.decay_factor(demo, scoring.utcnow()) for score in scored]
    assert len([value for value in values if value > 0]) >= 6


def test_rules_are_applied_by_sql_to_the_contacts_of_the_organisation_only(db, org):
    from eventapp.accounts.operations import ensure_organisation

    rival = ensure_organisation("rival", "Rival")
    db.session.commit()
    ours = person(db, org, email="a@x.com", job_title="CEO")
    theirs = person(db, rival, email="b@x.com", job_title="CEO")
    model = scoring.primary_model(org.id)
    scoring.rescore_all(model.id)
    db.session.commit()
    assert db.session.scalars(sa.select(ScoreEntry.contact_id).where(ScoreEntry.model_id == model.id)).all() == [
        ours.id]
    assert score_at(theirs, T0) == 15  # in its own organisation's model


def test_a_removed_rule_label_and_rules_keep_order(db, org):
    person(db, org)
    model = scoring.primary_model(org.id)
    assert [rule.position for rule in model.rules] == sorted(rule.position for rule in model.rules)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRule)) == 16


def test_one_contact_matched_in_python_agrees_with_the_set_based_rescore(db, org, make_event):
    """A sign-up or an edit matches the fit rules of one contact in Python; a rescore does it in SQL: the same
    entries either way (tags, answers, Chinese, punctuation, a word inside another)."""
    event = make_event(questions=[{"label": "Budget", "kind": "text"}])
    question_id = event.questions[0].id
    scoring.ensure_default_model(org.id)
    model = scoring.primary_model(org.id)
    scoring.save_rule(model, None, {"kind": RuleKind.FIT, "field": "tag", "pattern": "VIP, 重点客户", "points": 4})
    scoring.save_rule(model, None, {"kind": RuleKind.FIT, "field": f"answer:{question_id}",
                                    "pattern": "over 100k, 预算充足", "points": 6})
    db.session.commit()
    profiles = [("CTO", "1000+", "Software", ["vip"]), ("Director, IT", "201-500", "retail", []),
                ("技术总监", "1000人以上", "物流", ["重点客户"]), ("Co-Founder/CEO", "51-200", "SaaS (B2B)", []),
                ("Headhunter", "", "", ["VIPs"]), ("", "", "", [])]
    contacts = [person(db, org, email=f"p{n}@x.com", job_title=title, company_size=size, industry=industry,
                       tags=tags) for n, (title, size, industry, tags) in enumerate(profiles)]
    from eventapp.registration.models import Registration

    db.session.add(Registration(event_id=event.id, contact_id=contacts[0].id, status="confirmed",
                                answers={str(question_id): "Over 100k"}, manage_token="t" * 32,
                                ticket_secret="s" * 32))
    db.session.flush()
    scoring.rescore_fit(org.id, [contacts[0].id])
    db.session.commit()

    def entries():
        return sorted(db.session.execute(sa.select(ScoreEntry.contact_id, ScoreEntry.rule_id, ScoreEntry.points,
                                                   ScoreEntry.label).where(ScoreEntry.occurred_at.is_(None))).all())

    one_by_one = entries()
    scoring.rescore_all(model.id)
    db.session.commit()
    assert entries() == one_by_one
    assert [score_at(contact, T0) for contact in contacts] == [15 + 10 + 5 + 4 + 6, 10 + 5, 10 + 10 + 5 + 4,
                                                               15 + 5, 0, 0]


def test_an_import_scores_the_profiles_it_made_and_updated(db, org, risen):
    from tests.contacts.test_import import HEADER, run_import

    known = person(db, org, email="known@example.com", job_title="Engineer")
    assert score_at(known, T0) == 0
    risen.clear()
    run_import(db, org, (HEADER + "Ada Lovelace,ada@example.com,,Analytical,CTO,\n"
                         "Known Person,known@example.com,,Acme,Head of IT,\n"
                         "Wang Fang,wang@example.com,,Huaxia,采购经理,VIP\n").encode())
    model = scoring.primary_model(org.id)
    scores = {contact.email: score_at(contact, T0) for contact in db.session.scalars(sa.select(Contact))}
    assert scores == {"known@example.com": 10, "ada@example.com": 15, "wang@example.com": 5}
    assert sorted(call[3] for call in risen if call[2] == model.id) == [5, 10, 15]
