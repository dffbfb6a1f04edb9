"""Checks for the identifiers a hardship file carries: national ID, phone, credit code.

The national ID number follows GB 11643-1999: six digits of region, eight of
birth date, three of sequence (odd for men, even for women) and a check
character computed over the first seventeen (``X`` standing for 10).
"""

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# Residence permits of Hong Kong, Macao and Taiwan residents use these region
# prefixes, which no mainland region table lists.
RESIDENCE_PERMIT_PREFIXES = ("810000", "820000", "830000")


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    gender: str  # "M" or "F"
    region_known: bool

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)


def check_character(first_seventeen: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_seventeen, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse_id_number(value: str, *, today: date | None = None) -> IdNumber:
    """Validate an 18-character national ID number and read what it says.

    Raises ValidationError with a message saying exactly what is wrong. An
    unknown region is not an error (new and abolished codes exist): see
    ``IdNumber.region_known``. ``today`` spares a caller parsing thousands of
    numbers a time-zone conversion for each.
    """
    number = re.sub(r"\s+", "", value or "").upper()
    if len(number) != 18:
        raise ValidationError(
            _("A national ID number has 18 characters; this one has %(count)d.")
            % {"count": len(number)},
            code="id_length",
        )
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(
            _("A national ID number is 17 digits followed by a digit or X."), code="id_format"
        )
    if check_character(number[:17]) != number[17]:
        raise ValidationError(
            _(
                "The last character of this ID number does not match the others: check for a typing error."
            ),
            code="id_checksum",
        )
    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date in this ID number (%(digits)s) is not a real date.")
            % {"digits": number[6:14]},
            code="id_birth_date",
        ) from None
    if birth_date > (today or timezone.localdate()):
        raise ValidationError(
            _("The birth date in this ID number (%(date)s) is in the future.")
            % {"date": birth_date.isoformat()},
            code="id_birth_future",
        )
    if birth_date.year < 1900:
        raise ValidationError(
            _("The birth date in this ID number (%(date)s) is before 1900.")
            % {"date": birth_date.isoformat()},
            code="id_birth_past",
        )
    return IdNumber(
        number=number,
        birth_date=birth_date,
        gender="M" if int(number[16]) % 2 else "F",
        region_known=_region_known(number[:6], birth_date.year),
    )


@lru_cache(maxsize=8192)
def _region_known(region: str, year: int) -> bool:
    # Cached: the table lookup costs more than the rest of the parse, and a county's
    # spreadsheet repeats a few regions and birth years thousands of times.
    if region.startswith(RESIDENCE_PERMIT_PREFIXES):
        return True
    from stdnum.cn import ric

    try:
        # The table knows which codes were in use in which years: a number of that region
        # born that year (any day of it, check digit aside) says so.
        ric.get_birth_place(f"{region}{year:04d}0101000X")
    except Exception:
        return False
    return True


def mask_id_number(number: str) -> str:
    """``420102********1234``: region and last four, as printed lists show them."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


def mask_account(number: str) -> str:
    """``**** 1234``: enough to tell accounts apart, not enough to pay into one."""
    digits = re.sub(r"\s", "", number or "")
    if not digits:
        return ""
    return f"**** {digits[-4:]}" if len(digits) > 8 else "*" * len(digits)


MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def validate_phone(value: str) -> None:
    """A mainland mobile number (11 digits, 1[3-9]…) or a landline with its area code."""
    compact = re.sub(r"[\s()（）]", "", value or "")
    if compact.startswith("+86"):
        compact = compact[3:]
    if not (MOBILE.match(compact) or LANDLINE.match(compact)):
        raise ValidationError(
            gettext_lazy(
                "Enter an 11-digit mobile number (e.g. 13912345678) or a landline with its "
                "area code (e.g. 027-82345678)."
            ),
            code="phone",
        )


def validate_credit_code(value: str) -> None:
    """The 18-character unified social credit code, with its check character (GB 32100)."""
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError as StdnumError

    try:
        uscc.validate(value)
    except StdnumError:
        raise ValidationError(
            gettext_lazy(
                "This is not a valid unified social credit code: 18 characters whose last "
                "one is a check character."
            ),
            code="credit_code",
        ) from None


def validate_id_number(value: str) -> None:
    """Model-field validator form of ``parse_id_number``."""
    parse_id_number(value)


def pinyin_keys(name: str) -> list[str]:
    """The search keys of a Chinese name: every run of two or more characters, the full
    pinyin, the initials and the given name's pinyin (``张建国`` → ``建国``, ``张建``…,
    ``zhangjianguo``, ``zjg``, ``jianguo``)."""
    from pypinyin import lazy_pinyin

    name = re.sub(r"\s+", "", name or "")
    keys: set[str] = set()
    for length in range(2, len(name) + 1):
        for start in range(len(name) - length + 1):
            keys.add(name[start : start + length])
    syllables = [s.lower() for s in lazy_pinyin(name, errors="ignore") if s.isascii()]
    if syllables:
        keys.add("".join(syllables))
        keys.add("".join(s[0] for s in syllables))
        if len(syllables) > 1:
            keys.add("".join(syllables[1:]))
    return sorted(keys)
