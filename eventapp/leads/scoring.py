"""Scoring (issue 16, helper "scoring"): rules applied to each new activity and to profile changes, the logged
entries, the decayed score, explanations, rescoring after a rule change (a sweep step with progress).

Used by the other parts of leads (keep these names):
    primary_model(organisation_id) -> ScoreModel | None
    score_expression(model, now) -> SQL expression of the current score (join LeadScore on model_id, contact_id)
    current_scores(contact_id, now=None) -> list[tuple[ScoreModel, float]]
    explain(contact_id, model_id, now=None) -> list of lines, each with .points, .now (decayed), .label, .occurred_at
"""
