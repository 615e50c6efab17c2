"""Lead stages (issue 16, helper "handoff"): new → engaged → MQL → handed to sales → accepted / rejected → won / lost
→ back to nurture. Every change is an activity (STAGE_CHANGED) and a signals.lead_stage_changed.

Used by the other parts of leads (keep these names):
    score_changed(organisation_id, contact_id, model_id, score, now) -> None   (scoring calls it after a rise)
    move(contact_id, to_stage, *, organisation_id, reason="", by_user_id=None, now=None) -> bool
"""


def score_changed(organisation_id: int, contact_id: int, model_id: int, score: float, now) -> None:
    """A contact's score rose in a model: it may make them an MQL (helper "handoff" fills this in)."""
