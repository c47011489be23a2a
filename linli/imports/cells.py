"""Reading one cell of an import row: text, dates, numbers, yes/no, choices, phones.

Every reader appends a Chinese message to `errors` and returns None when the cell is bad;
a blank optional cell returns None without an error ("not given": the stored value stays,
ADR 0009). Messages name the column and never echo personal data (ID numbers, phones).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from linli.core.pii import is_valid_phone, normalize_phone

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_SERVICE_NUMBER_RE = re.compile(r"^(400|800)-?\d{3}-?\d{4}$|^9\d{4,5}$")
YES = frozenset({"是", "y", "yes", "true", "1", "√", "有"})
NO = frozenset({"否", "n", "no", "false", "0", "×", "无"})
# Separators of a list in one cell: 、，, ；; and spaces.
_LIST_SPLIT_RE = re.compile(r"[、，,；;\s]+")


def split_list(text: str) -> list[str]:
    return [part for part in _LIST_SPLIT_RE.split(text) if part]


def text(
    value: str, header: str, errors: list[str], *, max_length: int, required: bool = False
) -> str:
    if not value:
        if required:
            errors.append(_("请填写%(col)s") % {"col": header})
        return ""
    if len(value) > max_length:
        errors.append(_("%(col)s不能超过 %(n)d 个字") % {"col": header, "n": max_length})
        return ""
    return value


def parse_date(value: str) -> datetime.date | None:
    """2024-01-31, 2024/1/31, 2024.1.31, 2024年1月31日 or 20240131; None if not a date."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        pass
    match = _DATE_RE.match(value) or _COMPACT_DATE_RE.match(value)
    if match is None:
        return None
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def date(
    value: str,
    header: str,
    errors: list[str],
    *,
    required: bool = False,
    not_after_today: bool = True,
) -> datetime.date | None:
    if not value:
        if required:
            errors.append(_("请填写%(col)s") % {"col": header})
        return None
    parsed = parse_date(value)
    if parsed is None:
        errors.append(
            _("%(col)s不是有效日期（格式如 2024-01-31）") % {"col": header},
        )
        return None
    if parsed.year < 1900 or (not_after_today and parsed > datetime.date.today()):
        errors.append(_("%(col)s超出合理范围") % {"col": header})
        return None
    return parsed


def boolean(value: str, header: str, errors: list[str]) -> bool | None:
    if not value:
        return None
    lowered = value.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    errors.append(_("%(col)s应填“是”或“否”") % {"col": header})
    return None


def integer(
    value: str, header: str, errors: list[str], *, minimum: int, maximum: int
) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        try:
            as_float = float(value)
        except ValueError:
            as_float = float("nan")
        if not as_float.is_integer():
            errors.append(_("%(col)s应为整数") % {"col": header})
            return None
        number = int(as_float)
    if not minimum <= number <= maximum:
        errors.append(
            _("%(col)s应在 %(lo)d 至 %(hi)d 之间") % {"col": header, "lo": minimum, "hi": maximum}
        )
        return None
    return number


def decimal(
    value: str, header: str, errors: list[str], *, maximum: Decimal, places: int
) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        errors.append(_("%(col)s应为数字") % {"col": header})
        return None
    if not number.is_finite() or number < 0 or number > maximum:
        errors.append(_("%(col)s应为 0 至 %(hi)s 之间的数字") % {"col": header, "hi": maximum})
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def number(
    value: str, header: str, errors: list[str], *, minimum: float, maximum: float
) -> float | None:
    if not value:
        return None
    try:
        parsed = float(value)
    except ValueError:
        errors.append(_("%(col)s应为数字") % {"col": header})
        return None
    if not minimum <= parsed <= maximum:
        errors.append(
            _("%(col)s应在 %(lo)s 至 %(hi)s 之间") % {"col": header, "lo": minimum, "hi": maximum}
        )
        return None
    return parsed


def choice(value: str, header: str, errors: list[str], choices: Mapping[str, str]) -> str | None:
    """A choice by its Chinese label (or its code); `choices` maps both to the code."""
    if not value:
        return None
    found = choices.get(value) or choices.get(value.lower())
    if found is None:
        labels = "、".join(dict.fromkeys(k for k in choices if not k.isascii()))
        errors.append(
            _("%(col)s“%(value)s”无效，可填：%(labels)s")
            % {"col": header, "value": value[:20], "labels": labels}
        )
    return found


def choice_map(choices: type) -> dict[str, str]:
    """Label → code and code → code for a TextChoices class.

    The labels are marked for translation (the pages show them in the user's language), so
    the map holds the label in every language of the site, whichever is active when it is
    built: a file filled in Chinese reads the same in an English session, and the other way
    round."""
    mapping: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in choices.choices:  # type: ignore[attr-defined]
                if code:
                    mapping.setdefault(str(label), code)
    for code, _label in choices.choices:  # type: ignore[attr-defined]
        if code:
            mapping[code] = code
    return mapping


def is_masked(value: str) -> bool:
    """A value masked by an export (138****5678): it means "keep what is stored"."""
    return "*" in value


def mobile(value: str, header: str, errors: list[str]) -> str:
    """A mobile number (11 digits, +86 and separators removed), or '' if blank, masked or bad."""
    if not value or is_masked(value):
        return ""
    phone = normalize_phone(value)
    if not is_valid_phone(phone):
        errors.append(_("%(col)s格式不正确（应为 11 位手机号）") % {"col": header})
        return ""
    return phone


def contact_phone(value: str, header: str, errors: list[str]) -> str:
    """A mobile number, a landline (0553-1234567) or a service number (400…, 95…)."""
    if not value or is_masked(value):
        return ""
    phone = normalize_phone(value)
    if is_valid_phone(phone):
        return phone
    compact = value.replace(" ", "")
    if _LANDLINE_RE.match(compact) or _SERVICE_NUMBER_RE.match(compact):
        return compact
    errors.append(_("%(col)s格式不正确（手机号或带区号的固定电话）") % {"col": header})
    return ""
