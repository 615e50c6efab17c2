"""Enumerations whose members carry the words people see."""
import enum


class LabelledEnum(enum.StrEnum):
    """A StrEnum stored as its value, whose members also carry a (lazily translated) label:

        class EventKind(LabelledEnum):
            SEMINAR = "seminar", _l("Seminar")

    `EventKind("seminar").label` is the label; a member declared without one is labelled with its value."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = value if label is None else label
        return member

    @classmethod
    def label_of(cls, value: str):
        """The label of a stored value; a value this version does not know (a later version's, another feature's
        kind) is shown as it is."""
        try:
            return cls(value).label
        except ValueError:
            return value
