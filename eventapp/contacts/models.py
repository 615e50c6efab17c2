import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.contacts.names import greeting_name, person_name
from eventapp.contacts.search import keep_search_key, key_on_insert
from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class Contact(db.Model):
    """The person an organisation knows (the lead's score, stage and owner are leads' own, see LeadState)."""

    __tablename__ = "contacts"
    # The unique (organisation, email key) index also serves lookups by organisation: no index of its own, which
    # every new contact would pay for.
    __table_args__ = (sa.UniqueConstraint("organisation_id", "email_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    # email as the person typed it (normalised); email_key is what two spellings of one address share.
    email: Mapped[str] = mapped_column(sa.String(320))
    email_key: Mapped[str] = mapped_column(sa.String(320))
    first_name: Mapped[str] = mapped_column(sa.String(100), default="")
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    company: Mapped[str] = mapped_column(sa.String(200), default="")
    job_title: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")  # E.164
    company_size: Mapped[str] = mapped_column(sa.String(40), default="")
    industry: Mapped[str] = mapped_column(sa.String(100), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    # The language their mails and texts are in (core.i18n.LANGUAGES): the page of their latest sign-up's, or an
    # import's language column; "": not known (each event's default language).
    language: Mapped[str] = mapped_column(sa.String(10), default="", server_default=sa.text("''"))
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    # How the organisation came to know the person: web (a sign-up), import:<file>, manual, forwarded, walk-in...
    origin: Mapped[str] = mapped_column(sa.String(200), default="")
    # Forwarding: the invitee whose forwarded invitation brought this person in (and the partner or channel of it).
    # Indexed: without it, deleting contacts (an organisation, an erasure, a test's clean-up) searched the whole
    # table for who each one referred, once per contact deleted (50,000 contacts: a quarter of an hour on SQLite).
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    referred_channel: Mapped[str] = mapped_column(sa.String(40), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    # When the person's data was erased on request (leads.privacy): the row stays, anonymous, so counts stay right.
    erased_at = mapped_column(UTCDateTime)
    # Who erased it (accountability for the request; None: the command line, or that user is gone).
    erased_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # What a search of the contacts looks in (contacts.search): written from the name, company, email and phone.
    search_text: Mapped[str] = mapped_column(sa.Text, default=key_on_insert, server_default=sa.text("''"))

    tags = relationship("ContactTag", cascade="all, delete-orphan", order_by="ContactTag.tag")

    @property
    def name(self) -> str:
        return person_name(self.first_name, self.last_name)

    @property
    def greeting_name(self) -> str:
        return greeting_name(self.first_name, self.last_name)


keep_search_key(Contact)


class ContactTag(db.Model):
    """A label an organiser put on a contact (by hand, in bulk, or from an import's tags column)."""

    __tablename__ = "contact_tags"
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    __table_args__ = (sa.Index("ix_contact_tags_tag", "tag"),)


class ConsentPurpose(LabelledEnum):
    MARKETING_EMAIL = "marketing_email", _l("Marketing email")


class ConsentRecord(db.Model):
    """Proof of consent (GDPR Art. 7(1)): what text, when, where from."""

    __tablename__ = "consent_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(40))
    granted: Mapped[bool] = mapped_column()
    text_version: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(200))
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    ip_address: Mapped[str] = mapped_column(sa.String(64), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    recorded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Double opt-in: when the address's owner followed the link mailed to it (None: not yet, no marketing mail).
    confirmed_at = mapped_column(UTCDateTime)
    # The sign-up it was given with (its address is where the confirmation goes).
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="SET NULL"))
    contact: Mapped[Contact] = relationship()

    @property
    def purpose_label(self):
        return ConsentPurpose.label_of(self.purpose)


class SuppressionChannel(LabelledEnum):
    EMAIL = "email", _l("Email")
    SMS = "sms", _l("Text messages")


class SuppressionReason(LabelledEnum):
    UNSUBSCRIBED = "unsubscribed", _l("Unsubscribed")
    STOP = "stop", _l("Replied STOP")
    BOUNCED = "bounced", _l("Mail bounced")
    COMPLAINED = "complained", _l("Marked as spam")


class Suppression(db.Model):
    """An address or phone number that gets nothing more on its channel: an email unsubscribe, a bounce or a spam
    complaint; an SMS STOP (or 退订, or Twilio's 21610). A number leaves the list when it sends START."""

    __tablename__ = "suppressions"
    __table_args__ = (sa.UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10))
    # The email key (see normalise_email) or the E.164 number.
    address: Mapped[str] = mapped_column(sa.String(320))
    reason: Mapped[str] = mapped_column(sa.String(20))
    # What the person sent (STOP, 退订, ...) or the provider's error code.
    keyword: Mapped[str] = mapped_column(sa.String(40), default="")
    # Where it came from: the mail unsubscribed from (message:<id>), the page or the one-click POST, an import...
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def channel_label(self):
        return SuppressionChannel.label_of(self.channel)

    @property
    def reason_label(self):
        return SuppressionReason.label_of(self.reason)


# ---- imports of contact lists (issue 15) -----------------------------------------------------------------------

class ImportStatus(LabelledEnum):
    PREVIEWED = "previewed", _l("Waiting for the column mapping")
    RUNNING = "running", _l("Importing")
    DONE = "done", _l("Done")
    FAILED = "failed", _l("Failed")


class ImportOutcome(LabelledEnum):
    IMPORTED = "imported", _l("Imported")
    UPDATED = "updated", _l("Updated")
    SKIPPED = "skipped", _l("Skipped")


class ImportJob(db.Model):
    """One uploaded contact list: its file (until it is imported), the organiser's column mapping, and how far the
    import got. Rows are committed in chunks and `last_row` says where a restarted job goes on."""

    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    # The uploaded bytes, in the database so any worker process can read them; emptied once the import ends
    # (the report keeps what happened, the list itself is not kept twice). Deferred: pages of jobs never load it.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    # A field name (ImportField) per column of the file, "" for a column that is ignored.
    mapping: Mapped[list] = mapped_column(sa.JSON, default=list)
    # What the organiser states the list's consent basis is (the text of the consent records it makes).
    consent_text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=ImportStatus.PREVIEWED)
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    # The spreadsheet's number of the last row committed (the header is row 1).
    last_row: Mapped[int] = mapped_column(default=1)
    imported: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)  # imported or updated, but on the suppression list
    # A worker holds the job until then; one that died gives it back to the next sweep after this time.
    locked_until = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)

    @property
    def status_label(self):
        return ImportStatus(self.status).label

    @property
    def is_previewed(self) -> bool:
        return self.status == ImportStatus.PREVIEWED

    @property
    def is_running(self) -> bool:
        return self.status == ImportStatus.RUNNING

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class ImportRow(db.Model):
    """What became of one row of an import (the per-row report; 50,000 of them page by the primary key)."""

    __tablename__ = "import_rows"
    __table_args__ = (sa.Index("ix_import_rows_job_outcome", "job_id", "outcome", "row_number"),)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    row_number: Mapped[int] = mapped_column(primary_key=True)  # as the spreadsheet shows it (header = 1)
    outcome: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # Indexed, so deleting a contact does not read every report row there is
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)

    @property
    def outcome_label(self):
        return ImportOutcome(self.outcome).label
