"""Forms of invitation sends: the invitation's wording and audience, and when it goes."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from eventapp.core.forms import Form, strip_line, strip_text
from eventapp.core.time import clock_change_at
from eventapp.invitations import sending

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
PASTED = "pasted"  # the audience choice that means "the addresses below"


class SendForm(Form):
    """What an invitation says and who it goes to. `segments` are the organisation's (id, name)."""

    def __init__(self, *args, segments: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = [SelectChoice(PASTED, _("The addresses I paste below"))] + [
            SelectChoice(str(segment_id), _("Segment: %(name)s", name=name)) for segment_id, name in segments]
        self.pasted = sending.Pasted()

    subject = StringField(_l("Subject"), filters=[strip_line], validators=[
        DataRequired(message=_l("Write a subject: it is the first thing people see.")), Length(max=300)])
    preheader = StringField(_l("Preheader"), filters=[strip_line], validators=[Length(max=300)],
                            description=_l("The line mail apps show after the subject. Optional."))
    body_md = TextAreaField(_l("Message"), filters=[strip_text], validators=[Length(max=20000)],
                            description=_l("Markdown: **bold**, *italic*, [a link](https://…), lists. The event's "
                                           "details and the sign-up form follow it in the mail."))
    sender_name = StringField(_l("Sender name"), filters=[strip_line], validators=[Length(max=200)],
                              description=_l("Shown as who the mail is from, e.g. your team's name. Optional."))
    audience = SelectField(_l("Who to invite"))
    pasted_addresses = TextAreaField(_l("Addresses"), filters=[strip_text],
                                     description=_l("One a line, or separated by commas. New addresses become "
                                                    "contacts; unsubscribed ones are left out."))
    rate_per_minute = IntegerField(_l("Mails per minute"), validators=[
        DataRequired(message=_l("Enter how many mails may go out per minute.")),
        NumberRange(min=1, max=100_000, message=_l("Enter a number from 1 to 100000."))],
        description=_l("Large sends go out gradually at this rate, which mailbox providers prefer."))

    def validate_pasted_addresses(self, field):
        if self.audience.data != PASTED:
            return
        if len(field.data) > sending.MAX_PASTE_CHARACTERS:
            raise ValidationError(_("That is too much text to paste. For more than %(count)d addresses, import them "
                                    "as contacts and invite a segment.", count=sending.MAX_PASTED))
        self.pasted = sending.read_pasted(field.data)
        if self.pasted.bad:
            listed = "; ".join(f"{bad.given}: {bad.reason}" for bad in self.pasted.bad[:20])
            more = len(self.pasted.bad) - 20
            raise ValidationError(_("These cannot be used — correct or remove them: %(listed)s", listed=listed)
                                  + (" " + _("(and %(count)d more)", count=more) if more > 0 else ""))
        if not self.pasted.emails:
            raise ValidationError(_("Paste at least one address."))
        if len(self.pasted.emails) > sending.MAX_PASTED:
            raise ValidationError(_("At most %(count)d addresses can be pasted. Import the list as contacts and "
                                    "invite a segment.", count=sending.MAX_PASTED))

    def values(self) -> dict:
        segment_id = None if self.audience.data == PASTED else int(self.audience.data)
        # The addresses as read, one a line: what the send will use.
        pasted = "\n".join(email.address for email in self.pasted.emails) if segment_id is None else ""
        return {"subject": self.subject.data, "preheader": self.preheader.data, "body_md": self.body_md.data,
                "sender_name": self.sender_name.data, "segment_id": segment_id, "pasted_addresses": pasted,
                "rate_per_minute": self.rate_per_minute.data}


class ScheduleForm(Form):
    """When the send goes, on the event's clock (`zone`)."""

    def __init__(self, *args, zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    send_at = DateTimeLocalField(_l("Send at"), format=LOCAL_FORMAT, validators=[
        DataRequired(message=_l("Choose a day and time."))])

    def validate_send_at(self, field):
        if not 2000 <= field.data.year <= 2199:
            raise ValidationError(_("Choose a date in the coming months."))
        change = clock_change_at(field.data, self.zone)
        if change is not None and change.skipped:
            raise ValidationError(_("%(time)s does not exist on that day in %(zone)s (the clocks go forward). Choose "
                                    "another time.", time=field.data.strftime("%H:%M"), zone=self.zone))

