import re
from urllib.parse import urlsplit

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from eventapp.core import i18n
from eventapp.accounts.forms import region_choices
from eventapp.core.forms import Form, NoMarkup, strip_line, strip_text
from eventapp.core.time import clock_change_at, common_time_zones, from_local, is_time_zone, local
from eventapp.events.models import EventKind, QuestionKind
from eventapp.events.operations import SLUG_PATTERN, capacity_refusal, slug_taken

MARKDOWN_MAX = 20000
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


FIRST_YEAR, LAST_YEAR = 1970, 2199


class PlausibleDate:
    """A date an event can have. (Year 1 or 9999 read in a time zone falls off the calendar: that was a 500.)"""

    def __call__(self, form, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(_l("Enter a date between the years %(first)d and %(last)d.",
                                     first=FIRST_YEAR, last=LAST_YEAR))


class SharedImageUrl:
    """An https:// address of a picture, as a shared link's preview loads it: no other scheme (http pictures are
    blocked by the apps that show previews, javascript: and data: are no pictures), a host, no spaces or quotes."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            parts = urlsplit(field.data)
            valid = parts.scheme.lower() == "https" and parts.hostname and not _NOT_IN_URL.search(field.data)
        except ValueError:  # a malformed host, like https://[::1
            valid = False
        if not valid:
            raise ValidationError(_l("Enter an address starting with https://, like "
                                     "https://example.com/images/seminar.jpg."))


_NOT_IN_URL = re.compile(r"[\s\"'<>\\`]")


class OnTheZonesClock:
    """A wall-clock time the event's zone has. One the clocks skip (going forward) is refused with a sentence; one
    they show twice (going back) is read as the first of the two, as from_local reads it, and the organiser is
    told so (form.clock_notes)."""

    def __call__(self, form, field):
        zone = form.timezone.data or ""
        if not field.data or not is_time_zone(zone) or not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            return  # nothing to check, or another validator explains what is wrong
        change = clock_change_at(field.data, zone)
        if change is None:
            return
        values = {"time": field.data.strftime("%H:%M"), "date": format_date(field.data.date(), "long"), "zone": zone,
                  "before": change.before.strftime("%H:%M"), "after": change.after.strftime("%H:%M")}
        if change.skipped:
            raise ValidationError(_("%(time)s does not exist on %(date)s in %(zone)s: clocks go forward from "
                                    "%(before)s to %(after)s. Choose a time before %(before)s or from %(after)s.",
                                    **values))
        form.clock_notes.append(_("%(field)s: %(time)s happens twice on %(date)s in %(zone)s, as clocks go back from "
                                  "%(before)s to %(after)s. We took the first %(time)s (UTC%(offset)s), before the "
                                  "clocks go back.", field=field.label.text, offset=_utc_offset(change.offset),
                                  **values))


def _utc_offset(offset) -> str:
    minutes = int(offset.total_seconds()) // 60
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class CampaignForm(Form):
    name = StringField(_l("Name"), filters=[strip_line], validators=[
        DataRequired(message=_l("Give the campaign a name.")), Length(max=200), NoMarkup()])
    description = TextAreaField(_l("Description"), filters=[strip_text], validators=[Length(max=5000)])
    form_nonce = HiddenField(validators=[Length(max=64)])


def language_choices() -> list[SelectChoice]:
    """One language or both, in the order the page offers them; each language is named in itself."""
    names = i18n.LANGUAGE_NAMES
    both = [(first, second) for first in names for second in names if first != second]
    return [SelectChoice("", _l("The organisation's language")),
            *(SelectChoice(name, title) for name, title in names.items()),
            *(SelectChoice(f"{first},{second}", _l("%(first)s and %(second)s (%(first)s first)",
                                                   first=names[first], second=names[second]))
              for first, second in both)]


class EventForm(Form):
    title = StringField(_l("Title"), filters=[strip_line], validators=[
        DataRequired(message=_l("Give the event a title.")), Length(max=200), NoMarkup()])
    slug = StringField(_l("Web address (slug)"), filters=[strip_line, lambda v: v.lower() if v else v],
                       validators=[DataRequired(message=_l("Choose the web address, like spring-seminar.")),
                                   Length(max=80)],
                       description=_l("Lower-case letters, digits and dashes; the page is at /e/<slug>."))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, k.label) for k in EventKind])
    campaign_id = SelectField(_l("Campaign"), coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    timezone = SelectField(_l("Time zone"), default="UTC")
    phone_region = SelectField(_l("Phone numbers' country"), default="", description=_l(
        "Where a mobile number typed without its country code (+86, +1…) is read at this event's sign-up, manage "
        "page and door."))
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL_FORMAT,
                                   validators=[DataRequired(message=_l("Enter when the event starts.")),
                                               PlausibleDate(), OnTheZonesClock()])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_FORMAT,
                                 validators=[DataRequired(message=_l("Enter when the event ends.")), PlausibleDate(),
                                             OnTheZonesClock()])
    venue_name = StringField(_l("Venue"), filters=[strip_line], validators=[Length(max=200), NoMarkup()])
    venue_address = StringField(_l("Venue address"), filters=[strip_line], validators=[Length(max=500), NoMarkup()])
    capacity = IntegerField(_l("Capacity (seats)"), validators=[
        Optional(), NumberRange(min=1, max=1_000_000, message=_l("Enter a number of seats from 1 up, or leave it "
                                                                 "empty for no limit."))])
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)
    approval_required = BooleanField(_l("Sign-ups need approval"))
    phone_required = BooleanField(_l("Ask for a mobile phone number (required)"))
    sms_enabled = BooleanField(_l("Offer SMS messages"), description=_l(
        "Attendees can choose to get their confirmation and reminders by text message too."))
    invitation_only = BooleanField(_l("Invitation only"), description=_l(
        "Only invited people can sign up; the public page says so instead of showing the form."))
    forwarding_allowed = BooleanField(_l("Invited people may forward the invitation"), default=True, description=_l(
        "Someone an invitation is forwarded to can sign up with it, as a new contact referred by the invitee."))
    registration_opens_at = DateTimeLocalField(_l("Sign-up opens"), format=LOCAL_FORMAT,
                                               validators=[Optional(), PlausibleDate(), OnTheZonesClock()])
    registration_closes_at = DateTimeLocalField(_l("Sign-up closes"), format=LOCAL_FORMAT,
                                                validators=[Optional(), PlausibleDate(), OnTheZonesClock()])
    languages = SelectField(_l("Languages of the landing page, form and mails"), default="", description=_l(
        "With two, the page offers a switch between them and opens in the one the visitor's browser prefers; each "
        "attendee's mails and text messages are in the language they signed up in. What you write (title, "
        "summary, agenda, questions) is shown as you wrote it."))
    summary = TextAreaField(_l("Summary (Markdown)"), filters=[strip_text], validators=[Length(max=MARKDOWN_MAX)])
    agenda_md = TextAreaField(_l("Agenda (Markdown)"), filters=[strip_text], validators=[Length(max=MARKDOWN_MAX)])
    speakers_md = TextAreaField(_l("Speakers (Markdown)"), filters=[strip_text],
                                validators=[Length(max=MARKDOWN_MAX)])
    image_url = StringField(_l("Image for shared links (URL)"), filters=[strip_line], description=_l(
        "Shown when the landing page is shared (WeChat, LinkedIn, X…): an https:// address of a picture, about "
        "1200 × 630 pixels. Empty: a plain default picture."), validators=[
        Length(max=500, message=_l("Use an address of at most 500 characters.")), SharedImageUrl()])

    TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")

    def __init__(self, *args, campaigns=(), event=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.clock_notes = []  # times read as the first of two (clocks going back), for the organiser to know
        self.campaign_id.choices = [SelectChoice(None, _l("No campaign")),
                                    *(SelectChoice(c.id, c.name) for c in campaigns)]
        self.timezone.choices = [SelectChoice(z) for z in ["UTC"] + common_time_zones()]
        self.phone_region.choices = [SelectChoice("", _l("The organisation's")), *region_choices()]
        self.languages.choices = language_choices()

    @classmethod
    def for_event(cls, event, campaigns):
        """A form showing the event's times on the wall clock of its own zone."""
        form = cls(formdata=None, obj=event, campaigns=campaigns, event=event)
        for name in cls.TIME_FIELDS:
            value = getattr(event, name)
            getattr(form, name).data = local(value, event.timezone).replace(tzinfo=None) if value else None
        return form

    def validate_slug(self, field):
        if not SLUG_PATTERN.match(field.data or ""):
            raise ValidationError(_l("Use lower-case letters, digits and single dashes, like spring-seminar."))
        if slug_taken(field.data, self.event):
            raise ValidationError(_l("Another event already uses this web address."))

    def validate_timezone(self, field):
        if not is_time_zone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))

    def validate_capacity(self, field):
        """Fewer seats than people holding one would leave them without a seat the page promised: say so. An
        unchanged limit stays allowed (walk-ins may have filled the room past it)."""
        event = self.event
        if field.data is None or event is None:
            return
        refusal = capacity_refusal(event, field.data)  # registration counts the seats held
        if refusal:
            raise ValidationError(refusal)

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The event must end after it starts."))

    def validate_registration_closes_at(self, field):
        opens = self.registration_opens_at.data
        if opens and field.data and field.data <= opens:
            raise ValidationError(_l("Sign-up must close after it opens."))

    def values(self) -> dict:
        values = {name: field.data for name, field in self._fields.items()}
        for name in self.TIME_FIELDS:
            values[name] = from_local(values[name], values["timezone"]) if values[name] else None
        return values


class QuestionForm(Form):
    label = StringField(_l("Question"), filters=[strip_line], validators=[
        DataRequired(message=_l("Write the question.")), Length(max=300)])
    kind = SelectField(_l("Answer type"), choices=[SelectChoice(k.value, k.label) for k in QuestionKind])
    required = BooleanField(_l("An answer is required"))
    options = TextAreaField(_l("Options (one per line)"), filters=[strip_text],
                            description=_l("For single and multiple choice questions."))

    def validate_options(self, field):
        if self.kind.data in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            options = self.option_list()
            if len(options) < 2:
                raise ValidationError(_l("Give at least two options, one per line."))
            if any(len(option) > 200 for option in options) or len(options) > 50:
                raise ValidationError(_l("Use at most 50 options of up to 200 characters each."))

    def option_list(self) -> list[str]:
        seen = []
        for line in (self.options.data or "").splitlines():
            line = line.strip()
            if line and line not in seen:
                seen.append(line)
        return seen

    form_nonce = HiddenField(validators=[Length(max=64)])

    def values(self) -> dict:
        kind = self.kind.data
        return {"label": self.label.data, "kind": kind, "required": self.required.data,
                "options": self.option_list() if kind in (QuestionKind.SINGLE_CHOICE,
                                                         QuestionKind.MULTIPLE_CHOICE) else []}
