"""One page of a long list (contacts, a segment's members), with what the links to the others need."""
import math
from dataclasses import dataclass

import sqlalchemy as sa

from eventapp.extensions import db


@dataclass(frozen=True)
class Page:
    items: list
    number: int  # 1 is the first
    size: int
    total: int

    @property
    def count(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def page_number(raw: str | None) -> int:
    """The page asked for in the address: 1 for anything that is not a sensible page number."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


def page_of(query: sa.Select, number: int, size: int, *, scalars: bool = True) -> Page:
    """The rows of this page of an ordered query, and how many rows it has in all."""
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    result = db.session.execute(query.limit(size).offset((number - 1) * size))
    return Page(list(result.scalars() if scalars else result), number, size, total)
