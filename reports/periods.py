"""Reporting periods: a month, a quarter, a year, or a year to date, and the same a year before."""

import calendar
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _


class PeriodKind:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    YEAR_TO_DATE = "ytd"

    ALL = (MONTH, QUARTER, YEAR, YEAR_TO_DATE)


def month_number(day: date) -> int:
    """A month as the integer YYYYMM the precomputed figures are kept by."""
    return day.year * 100 + day.month


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date
    last_day: date

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        last = calendar.monthrange(year, month)[1]
        return cls(PeriodKind.MONTH, date(year, month, 1), date(year, month, last))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        if quarter not in (1, 2, 3, 4):
            raise ValueError(f"no quarter {quarter}")
        first_month = 3 * quarter - 2
        last = calendar.monthrange(year, first_month + 2)[1]
        return cls(
            PeriodKind.QUARTER, date(year, first_month, 1), date(year, first_month + 2, last)
        )

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def year_to_date(cls, today: date) -> "Period":
        last = calendar.monthrange(today.year, today.month)[1]
        return cls(
            PeriodKind.YEAR_TO_DATE, date(today.year, 1, 1), date(today.year, today.month, last)
        )

    @classmethod
    def previous_month(cls, today: date) -> "Period":
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return cls.month(year, month)

    @classmethod
    def parse(cls, text: str, *, today: date) -> "Period":
        """Read a period from a URL value: ``2026``, ``2026-q3``, ``2026-10``, ``ytd`` (this
        year so far) or ``2026-ytd-08`` (January to August 2026).

        Raises ValueError for anything else, and for periods that have not begun.
        """
        text = (text or "").strip().lower()
        if text in ("", PeriodKind.YEAR_TO_DATE):
            return cls.year_to_date(today)
        if len(text) == 11 and text[4:9] == "-ytd-" and text[:4].isdigit() and text[9:].isdigit():
            period = cls.year_to_date(date(int(text[:4]), int(text[9:]), 1))
        elif text.isdigit() and len(text) == 4:
            period = cls.year(int(text))
        elif len(text) == 7 and text[4:6] == "-q" and text[:4].isdigit() and text[6].isdigit():
            period = cls.quarter(int(text[:4]), int(text[6]))
        elif len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
            period = cls.month(int(text[:4]), int(text[5:]))
        else:
            raise ValueError(f"not a period: {text!r}")
        if period.first_day > today or period.first_day.year < 2000:
            raise ValueError(f"period out of range: {text!r}")
        return period

    @property
    def slug(self) -> str:
        """The URL value ``parse`` reads back (and the outbox's period key)."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.first_day:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.first_day.year}-q{(self.first_day.month + 2) // 3}"
        if self.kind == PeriodKind.YEAR:
            return str(self.first_day.year)
        return f"{self.first_day.year}-ytd-{self.last_day:%m}"

    @property
    def label(self) -> str:
        year = self.first_day.year
        if self.kind == PeriodKind.MONTH:
            return _("%(year)s, month %(month)s") % {"year": year, "month": self.first_day.month}
        if self.kind == PeriodKind.QUARTER:
            return _("%(year)s, quarter %(quarter)s") % {
                "year": year,
                "quarter": (self.first_day.month + 2) // 3,
            }
        if self.kind == PeriodKind.YEAR:
            return _("Year %(year)s") % {"year": year}
        return _("%(year)s, January to month %(month)s") % {
            "year": year,
            "month": self.last_day.month,
        }

    @property
    def months(self) -> list[int]:
        """The months of the period as YYYYMM numbers, in order."""
        result = []
        year, month = self.first_day.year, self.first_day.month
        while (year, month) <= (self.last_day.year, self.last_day.month):
            result.append(year * 100 + month)
            year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        return result

    def year_before(self) -> "Period":
        def back(day: date) -> date:
            last = calendar.monthrange(day.year - 1, day.month)[1]
            return date(day.year - 1, day.month, min(day.day, last))

        return Period(self.kind, back(self.first_day), back(self.last_day))
