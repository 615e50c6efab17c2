"""The segment form: a name and the filters of segments.py, each field one condition."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eventapp.core.forms import Form, NoMarkup, strip_line
from eventapp.invitations.segments import (CONTAINS, ENGAGED_DAYS_MAX, EVENT_FILTERS, ONE_OF, TAG_FILTERS, TEXT_MAX,
                                           Engagement, clean_filters)

FILTER_FIELDS = CONTAINS + ONE_OF + TAG_FILTERS + EVENT_FILTERS + ("engaged_days", "engagement")


def _contains(label):
    return StringField(label, filters=[strip_line], validators=[
        Optional(), Length(max=TEXT_MAX, message=_l("Keep this under %(max)d characters.", max=TEXT_MAX))])


def _choose(label, description=None, coerce=str):
    return SelectMultipleField(label, coerce=coerce, description=description)


class SegmentForm(Form):
    name = StringField(_l("Name"), filters=[strip_line], validators=[
        DataRequired(message=_l("Give the segment a name.")),
        Length(max=200, message=_l("Keep this under %(max)d characters.", max=200)), NoMarkup()])
    company = _contains(_l("Company contains"))
    job_title = _contains(_l("Job title contains"))
    company_size = _choose(_l("Company size is one of"))
    industry = _choose(_l("Industry is one of"))
    city = _choose(_l("City is one of"))
    tags_any = _choose(_l("Tagged with any of"))
    tags_all = _choose(_l("Tagged with all of"))
    tags_none = _choose(_l("Tagged with none of"))
    invited_to = _choose(_l("Invited to any of"), coerce=int)
    registered_for = _choose(_l("Registered for any of"), _l("A registration that is not cancelled or declined."),
                             coerce=int)
    attended = _choose(_l("Attended any of"), _l("Checked in at the door."), coerce=int)
    no_show = _choose(_l("Did not come to any of"), _l("Registered and confirmed, never checked in, the event over."),
                      coerce=int)
    engaged_days = IntegerField(_l("Opened or clicked an invitation in the last … days"), validators=[
        Optional(), NumberRange(min=1, max=ENGAGED_DAYS_MAX,
                                message=_l("Enter a number of days from 1 to %(max)d.", max=ENGAGED_DAYS_MAX))])
    engagement = RadioField(_l("Counts as engaged"), default=Engagement.OPENED,
                            choices=[SelectChoice(member, member.label) for member in Engagement])

    def __init__(self, *args, profile_values: dict, tags: list[str], events: list, kept: dict | None = None,
                 **kwargs):
        """`profile_values`: the values in use of each ONE_OF field; `tags`: the tags in use; `events`: the
        organisation's events; `kept`: the saved segment's filters, whose values stay choices when no contact has
        them any more."""
        super().__init__(*args, **kwargs)
        kept = kept or {}
        for name in ONE_OF:
            self[name].choices = _options(profile_values.get(name, []), kept.get(name))
        for name in TAG_FILTERS:
            self[name].choices = _options(tags, kept.get(name))
        for name in EVENT_FILTERS:
            self[name].choices = [SelectChoice(event.id, f"{event.title} ({event.starts_at:%Y-%m-%d})")
                                  for event in events]

    def filters(self) -> dict:
        return clean_filters({name: self[name].data for name in FILTER_FIELDS})

    @staticmethod
    def data_of(segment) -> dict:
        """The form's values for a saved segment."""
        return {"name": segment.name, **segment.filters}


def _options(in_use: list[str], kept) -> list[SelectChoice]:
    values = list(dict.fromkeys([*in_use, *(kept or [])]))
    return [SelectChoice(value, value) for value in values]
