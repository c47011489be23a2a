"""Writes to the people registry: households, residents, their tags and moves, PII reveal.

Rules kept here once, for the pages, the API and future imports alike:

* A household or a resident sits in a grid or a community (never a county or town) inside the
  actor's registry write scope; a household's building is in the same community.
* Only county admins, town staff and community workers keep the registry; a grid worker may
  change a resident's phone and tags in their grid, nothing else (ADR 0021). Leaders and
  read-only tokens write nothing.
* A 居民身份证号 passes the GB 11643 check digit, and its birth date and gender digit agree with
  the resident's; one ID number is registered once in the whole county (blind index).
* A resident's region follows their household; moving keeps an immutable ResidentMove row.
* Clear PII never appears in an error message; revealing it is a recorded act (`pii_reveal`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.middleware import current_request
from linli.core.models import PiiReveal
from linli.core.pii import blind_index, id_number_error, is_valid_phone, normalize_phone
from linli.people.models import Household, ResidenceType, Resident, ResidentMove, ResidentTag, Tag
from linli.people.names import name_keys
from linli.regions.models import Building, Region
from linli.regions.services import (
    FULL_ACCESS,
    LIMITED_ACCESS,
    registry_region_for_write,
    registry_write_level,
)

__all__ = [
    "REVEALABLE_FIELDS",
    "REVEAL_ROLES",
    "TagInput",
    "field_error",
    "household_create",
    "household_set_head",
    "household_update",
    "may_reveal",
    "pii_reveal",
    "resident_create",
    "resident_mark_deceased",
    "resident_mark_moved_out",
    "resident_move",
    "resident_tags_set",
    "resident_update",
    "reveal_refusal",
]

HOUSEHOLD_FIELDS = ("number", "address", "residence_type", "building_id", "phone", "region_code")
RESIDENT_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "relation",
    "residence_type",
    "tags",
)
# What a grid worker may change on a resident of their grid (ADR 0021).
LIMITED_RESIDENT_FIELDS = frozenset({"phone", "tags"})
EARLIEST_BIRTH = date(1900, 1, 1)
GENDER_ALIASES = {"男": "M", "女": "F", "M": "M", "F": "F", "m": "M", "f": "F"}
# Age limits of the tags that describe an age group (years, on the day of writing).
TAG_MIN_AGE: dict[str, int] = {Tag.ADVANCED_AGE: 80}
TAG_MAX_AGE: dict[str, int] = {Tag.LEFT_BEHIND_CHILD: 15, Tag.CHILD_IN_DIFFICULTY: 17}

# Who may see a full PII value (ADR 0020) and which fields of which model can be revealed.
REVEAL_ROLES = frozenset({"county_admin", "town_staff", "community_worker"})
REVEALABLE_FIELDS: dict[type, tuple[str, ...]] = {
    Resident: ("id_number", "phone"),
    Household: ("phone",),
}
FIELD_LABELS = {"id_number": "身份证号", "phone": "手机号"}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _raise(code: str, errors: dict[str, str]) -> None:
    """One ValidationFailed listing every bad field (detail {"fields": {field: message}})."""
    if errors:
        raise ValidationFailed(code, "；".join(errors.values()), detail={"fields": errors})


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return parse_date(str(value).strip())
    except ValueError:
        return None


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- households -------------------------------------------------------------------------------


def _household_building(actor: Any, building: Building | int | None, region: Region) -> Any:
    """The building (visible, in the household's community) or None; raises on a bad one."""
    if building in (None, "", 0):
        return None
    building_id = building.pk if isinstance(building, Building) else building
    found = Building.objects.visible_to(actor).filter(pk=building_id).first()
    if found is None:
        raise NotFound("building_not_found", _("楼栋不存在或无权查看"))
    if found.region_code[:12] != region.code[:12]:
        message = _("楼栋须在户所在的同一社区/村内")
        raise ValidationFailed(
            "household_building_invalid", message, detail={"fields": {"building": message}}
        )
    return found


def _household_values(
    data: Mapping[str, Any], *, partial: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, label, limit in (("number", "户编号", 40), ("address", "地址", 200)):
        if key not in data and partial:
            continue
        text = _text(data.get(key))
        if not text:
            errors[key] = _("%(label)s不能为空") % {"label": label}
        elif len(text) > limit:
            errors[key] = _("%(label)s不能超过%(n)d字") % {"label": label, "n": limit}
        values[key] = text
    if "residence_type" in data or not partial:
        kind = _text(data.get("residence_type")) or ResidenceType.REGISTERED
        if kind not in ResidenceType.values:
            errors["residence_type"] = _("户类型无效")
        values["residence_type"] = kind
    if "phone" in data or not partial:
        phone = normalize_phone(_text(data.get("phone")))
        if phone and not is_valid_phone(phone):
            errors["phone"] = _("联系电话应为11位中国大陆手机号码")
        values["phone"] = phone
        values["phone_hash"] = blind_index(phone)
    return values, errors


def _household_number_taken(region: Region, number: str, exclude_pk: int | None = None) -> bool:
    # The number is unique within the community (its grids included), as users know it.
    others = Household.objects.filter(region_code__startswith=region.code[:12], number=number)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def _number_conflict(number: str) -> Conflict:
    return Conflict(
        "household_exists",
        _("本社区/村已有户编号为“%(number)s”的户") % {"number": number},
        detail={"fields": {"number": _("户编号已被使用")}},
    )


@transaction.atomic
def household_create(
    *,
    actor: Any,
    region_code: str,
    number: str,
    address: str,
    building: Building | int | None = None,
    residence_type: str = ResidenceType.REGISTERED,
    phone: str = "",
) -> Household:
    """Register a household in a grid or community of the actor's registry write scope.

    NotFound (404) for an unseen region or building, Forbidden (403) without registry write
    access, ValidationFailed (422, detail {"fields": …}) for bad values or a building of
    another community, Conflict (409) for a household number already used in the community.
    """
    region = registry_region_for_write(actor, region_code, what=_("户"))
    values, errors = _household_values(
        {"number": number, "address": address, "residence_type": residence_type, "phone": phone},
        partial=False,
    )
    _raise("household_invalid", errors)
    found_building = _household_building(actor, building, region)
    if _household_number_taken(region, values["number"]):
        raise _number_conflict(values["number"])
    household = Household(region=region, building=found_building, **values)
    try:
        household.save()
    except IntegrityError as exc:
        raise _number_conflict(values["number"]) from exc
    return household


def _household_for_write(actor: Any, household: Household | int) -> Household:
    pk = household.pk if isinstance(household, Household) else household
    current = (
        Household.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("region")
        .filter(pk=pk)
        .first()
    )
    if current is None:
        raise NotFound("household_not_found", _("户不存在或无权查看"))
    if registry_write_level(actor, current.region_code) != FULL_ACCESS:
        raise Forbidden("registry_forbidden", _("无权修改该户的信息"))
    return current


@transaction.atomic
def household_update(
    *, actor: Any, household: Household | int, data: Mapping[str, Any]
) -> Household:
    """Change a household's fields (`HOUSEHOLD_FIELDS`; `building_id` None detaches it).

    `region_code` moves it to another grid of the same community, with its members and their
    tags (their region follows the household). Errors as `household_create`.
    """
    current = _household_for_write(actor, household)
    unknown = sorted(set(data) - set(HOUSEHOLD_FIELDS))
    if unknown:
        raise ValidationFailed(
            "household_field_unknown",
            _("不能修改这些字段：%(fields)s") % {"fields": "、".join(unknown)},
            detail={"fields": dict.fromkeys(unknown, "不可修改")},
        )
    values, errors = _household_values(data, partial=True)
    region = current.region
    if "region_code" in data and _text(data["region_code"]) != current.region_code:
        region = registry_region_for_write(actor, data["region_code"], what=_("户"))
        if region.code[:12] != current.region_code[:12]:
            errors["region"] = _("户只能调整到同一社区/村内的网格；跨社区请逐人办理迁移")
    _raise("household_invalid", errors)
    if "building_id" in data:
        values["building"] = _household_building(actor, data["building_id"], region)
    elif current.building_id and region != current.region:
        values["building"] = _household_building(actor, current.building_id, region)
    number = values.get("number", current.number)
    if number != current.number and _household_number_taken(region, number, current.pk):
        raise _number_conflict(number)
    changed = [k for k, v in values.items() if getattr(current, k) != v]
    for key in changed:
        setattr(current, key, values[key])
    if region != current.region:
        current.region = region
        changed.append("region")
        for member in Resident.objects.filter(household=current):
            member.region = region
            member.save(update_fields=["region", "updated_at"])
        ResidentTag.objects.filter(resident__household=current).update(
            region=region, region_code=region.code
        )
    if changed:
        try:
            current.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as exc:
            raise _number_conflict(number) from exc
    return current


@transaction.atomic
def household_set_head(
    *, actor: Any, household: Household | int, resident: Resident | int | None
) -> Household:
    """Make a member the head (户主), or clear the head with None.

    The head must be an active member of the household (ValidationFailed otherwise). The new
    head's relation becomes 户主; a former head whose relation was 户主 becomes 其他.
    """
    current = _household_for_write(actor, household)
    if resident is None:
        head = None
    else:
        pk = resident.pk if isinstance(resident, Resident) else resident
        head = Resident.objects.filter(pk=pk).first()
        if head is None or head.household_id != current.pk:
            message = _("户主必须是本户成员")
            raise ValidationFailed(
                "household_head_not_member", message, detail={"fields": {"head": message}}
            )
        if head.status != Resident.Status.ACTIVE:
            message = _("户主必须是在册居民")
            raise ValidationFailed(
                "household_head_inactive", message, detail={"fields": {"head": message}}
            )
    _head_replace(current, head)
    return current


def _head_replace(household: Household, head: Resident | None) -> None:
    old_id = household.head_id
    if old_id == (head.pk if head else None):
        if head is not None and head.relation != Resident.Relation.HEAD:
            head.relation = Resident.Relation.HEAD
            head.save(update_fields=["relation", "updated_at"])
        return
    if old_id is not None:
        old = Resident.objects.filter(pk=old_id, relation=Resident.Relation.HEAD).first()
        if old is not None:
            old.relation = Resident.Relation.OTHER
            old.save(update_fields=["relation", "updated_at"])
    household.head = head
    household.save(update_fields=["head", "updated_at"])
    if head is not None and head.relation != Resident.Relation.HEAD:
        head.relation = Resident.Relation.HEAD
        head.save(update_fields=["relation", "updated_at"])


# --- residents: validation --------------------------------------------------------------------


@dataclass(frozen=True)
class TagInput:
    """One special-group tag as written: disability kind and grade only for 残疾."""

    tag: str
    disability_kind: str = ""
    disability_grade: int | None = None
    since: date | None = None


def _parse_tags(
    raw: Iterable[Any] | None, *, birth: date | None, today: date
) -> tuple[list[TagInput], list[str]]:
    """Tags from strings, mappings or TagInputs; returns (tags, error messages)."""
    tags: dict[str, TagInput] = {}
    errors: list[str] = []
    labels = dict(Tag.choices)
    for item in raw or ():
        if isinstance(item, TagInput):
            data: Mapping[str, Any] = item.__dict__
        elif isinstance(item, Mapping):
            data = item
        else:
            data = {"tag": item}
        tag = _text(data.get("tag"))
        if tag not in labels:
            errors.append(_("标签“%(tag)s”无效") % {"tag": tag[:20]})
            continue
        label = labels[tag]
        kind = _text(data.get("disability_kind"))
        grade_raw = _text(data.get("disability_grade"))
        grade: int | None = None
        if tag == Tag.DISABILITY:
            if kind not in ResidentTag.DisabilityKind.values:
                errors.append(_("残疾标签须选择残疾类别"))
            if grade_raw not in {"1", "2", "3", "4"}:
                errors.append(_("残疾等级应为一级至四级（1-4）"))
            else:
                grade = int(grade_raw)
        elif kind or grade_raw:
            errors.append(_("只有“残疾”标签填写残疾类别和等级，“%(label)s”不填") % {"label": label})
            kind = ""
        since_raw = data.get("since")
        since = _as_date(since_raw)
        if since_raw not in (None, "") and since is None:
            errors.append(_("“%(label)s”的认定日期格式应为 年-月-日") % {"label": label})
        elif since is not None and since > today:
            errors.append(_("“%(label)s”的认定日期不能晚于今天") % {"label": label})
        if birth is not None:
            age = _age_on(birth, today)
            if tag in TAG_MIN_AGE and age < TAG_MIN_AGE[tag]:
                errors.append(
                    _("“%(label)s”标签适用于%(n)d周岁及以上的居民")
                    % {"label": label, "n": TAG_MIN_AGE[tag]}
                )
            if tag in TAG_MAX_AGE and age > TAG_MAX_AGE[tag]:
                errors.append(
                    _("“%(label)s”标签适用于未满%(n)d周岁的居民")
                    % {"label": label, "n": TAG_MAX_AGE[tag] + 1}
                )
        tags[tag] = TagInput(tag, kind, grade, since)
    return list(tags.values()), errors


def _resident_values(
    data: Mapping[str, Any], *, current: Resident | None, today: date
) -> tuple[dict[str, Any], dict[str, str], list[TagInput] | None]:
    """Parse the given fields (all of them when creating); cross-check ID number, birth date
    and gender on the merged values. Returns (values, errors by field, tags or None)."""
    creating = current is None
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "name" in data or creating:
        name = re.sub(r"\s+", " ", _text(data.get("name")))
        if not name:
            errors["name"] = _("姓名不能为空")
        elif len(name) > 50:
            errors["name"] = _("姓名不能超过50字")
        else:
            values["name"] = name
            values["name_pinyin"], values["name_initials"] = name_keys(name)
    if "gender" in data or creating:
        gender = GENDER_ALIASES.get(_text(data.get("gender")))
        if gender is None:
            errors["gender"] = _("请选择性别（男或女）")
        else:
            values["gender"] = gender
    if "birth_date" in data or creating:
        raw = data.get("birth_date")
        birth = _as_date(raw)
        if raw in (None, ""):
            errors["birth_date"] = _("出生日期不能为空")
        elif birth is None:
            errors["birth_date"] = _("出生日期格式应为 年-月-日，如 1960-05-01")
        elif birth > today:
            errors["birth_date"] = _("出生日期不能晚于今天")
        elif birth < EARLIEST_BIRTH:
            errors["birth_date"] = _("出生日期不能早于1900年")
        else:
            values["birth_date"] = birth
    if "id_number" in data or creating:
        number = _text(data.get("id_number")).upper()
        if number:
            error = id_number_error(number)
            if error:
                errors["id_number"] = error
        values["id_number"] = number
        values["id_number_hash"] = blind_index(number)
    if "phone" in data or creating:
        phone = normalize_phone(_text(data.get("phone")))
        if phone and not is_valid_phone(phone):
            errors["phone"] = _("手机号应为11位中国大陆手机号码，如 13800000000")
        values["phone"] = phone
        values["phone_hash"] = blind_index(phone)
    if "relation" in data or creating:
        relation = _text(data.get("relation")) or Resident.Relation.OTHER
        if relation not in Resident.Relation.values:
            errors["relation"] = _("与户主关系无效")
        values["relation"] = relation
    if "residence_type" in data or creating:
        kind = _text(data.get("residence_type")) or ResidenceType.REGISTERED
        if kind not in ResidenceType.values:
            errors["residence_type"] = _("居住类型无效")
        values["residence_type"] = kind

    # Cross-field: the ID number carries the birth date (digits 7-14) and the gender (17th
    # digit odd = male), so a mismatch is a typing error in one of them.
    def merged(key: str) -> Any:
        return values[key] if key in values else getattr(current, key, None)

    number = merged("id_number") or ""
    touched = {"id_number", "birth_date", "gender"} & set(data)
    if number and (touched or creating) and "id_number" not in errors:
        birth = merged("birth_date")
        if birth is not None and "birth_date" not in errors and number[6:14] != f"{birth:%Y%m%d}":
            errors["id_number"] = _("身份证号中的出生日期与填写的出生日期不一致")
        gender = merged("gender")
        if gender and "gender" not in errors and "id_number" not in errors:
            id_gender = "M" if int(number[16]) % 2 == 1 else "F"
            if id_gender != gender:
                errors["id_number"] = _("身份证号中的性别（第17位）与填写的性别不一致")
    tags: list[TagInput] | None = None
    if "tags" in data:
        birth = merged("birth_date") if "birth_date" not in errors else None
        tags, tag_errors = _parse_tags(data.get("tags"), birth=birth, today=today)
        if tag_errors:
            errors["tags"] = "；".join(tag_errors)
    return values, errors, tags


def _id_number_conflict() -> Conflict:
    # Never echo the number, and never say where it is registered (another region's data).
    message = _("该身份证号已登记，不能重复登记；如在其他辖区登记，请联系上级核实后办理迁移")
    return Conflict("resident_id_number_exists", message, detail={"fields": {"id_number": message}})


def _check_id_number_free(id_number_hash: str, exclude_pk: int | None = None) -> None:
    if not id_number_hash:
        return
    others = Resident.objects.filter(id_number_hash=id_number_hash)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise _id_number_conflict()


def _tags_write(resident: Resident, tags: list[TagInput]) -> None:
    """Make the resident's tags exactly `tags` (row by row, so the audit log sees each)."""
    existing = {t.tag: t for t in ResidentTag.objects.filter(resident=resident)}
    wanted = {t.tag: t for t in tags}
    for tag, stale in existing.items():
        if tag not in wanted:
            stale.delete()
    for tag, spec in wanted.items():
        fields = {
            "disability_kind": spec.disability_kind,
            "disability_grade": spec.disability_grade,
            "since": spec.since,
        }
        row = existing.get(tag)
        if row is None:
            ResidentTag(resident=resident, region=resident.region, tag=tag, **fields).save()
            continue
        changed = [k for k, v in fields.items() if getattr(row, k) != v]
        for key in changed:
            setattr(row, key, fields[key])
        if row.region_id != resident.region_id:
            row.region = resident.region
            changed.append("region")
        if changed:
            row.save(update_fields=[*changed, "updated_at"])


# --- residents: services ----------------------------------------------------------------------


def _household_for_member(actor: Any, household: Household | int) -> Household:
    pk = household.pk if isinstance(household, Household) else household
    found = (
        Household.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("region")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("household_not_found", _("户不存在或无权查看"))
    if registry_write_level(actor, found.region_code) != FULL_ACCESS:
        raise Forbidden(
            "registry_forbidden", _("无权在%(region)s登记居民") % {"region": found.region.name}
        )
    return found


def _head_conflict(household: Household) -> ValidationFailed:
    message = _("该户已有户主，如需更换请在户页面“设为户主”")
    return ValidationFailed(
        "household_head_exists", message, detail={"fields": {"relation": message}}
    )


@transaction.atomic
def resident_create(
    *,
    actor: Any,
    name: str,
    gender: str,
    birth_date: date | str | None,
    household: Household | int | None = None,
    region_code: str = "",
    id_number: str = "",
    phone: str = "",
    relation: str = Resident.Relation.OTHER,
    residence_type: str = ResidenceType.REGISTERED,
    tags: Iterable[Any] = (),
) -> Resident:
    """Register a resident, in a household (whose region they take) or directly in a grid or
    community (`region_code`, e.g. a floating resident without a household here).

    Errors: NotFound (404) for an unseen household/region, Forbidden (403) without full
    registry write access, ValidationFailed (422, detail {"fields": …}) listing every bad
    field in Chinese, Conflict (409) for an ID number registered anywhere in the county.
    Relation 户主 makes them the household's head (refused if it already has one).
    """
    today = timezone.localdate()
    if household not in (None, "", 0):
        found_household: Household | None = _household_for_member(actor, household)  # type: ignore[arg-type]
        region = found_household.region  # type: ignore[union-attr]
    else:
        found_household = None
        region = registry_region_for_write(actor, region_code, what=_("居民"))
    values, errors, parsed_tags = _resident_values(
        {
            "name": name,
            "gender": gender,
            "birth_date": birth_date,
            "id_number": id_number,
            "phone": phone,
            "relation": relation,
            "residence_type": residence_type,
            "tags": list(tags),
        },
        current=None,
        today=today,
    )
    is_head = values.get("relation") == Resident.Relation.HEAD
    if is_head and found_household is None and "relation" not in errors:
        errors["relation"] = _("没有所属户的居民不能是户主")
    _raise("resident_invalid", errors)
    if is_head and found_household is not None and found_household.head_id is not None:
        raise _head_conflict(found_household)
    _check_id_number_free(values["id_number_hash"])
    resident = Resident(region=region, household=found_household, **values)
    try:
        resident.save()
    except IntegrityError as exc:
        raise _id_number_conflict() from exc
    _tags_write(resident, parsed_tags or [])
    if is_head and found_household is not None:
        found_household.head = resident
        found_household.save(update_fields=["head", "updated_at"])
    return resident


def _resident_for_write(actor: Any, resident: Resident | int) -> tuple[Resident, str]:
    pk = resident.pk if isinstance(resident, Resident) else resident
    current = (
        Resident.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("region", "household")
        .filter(pk=pk)
        .first()
    )
    if current is None:
        raise NotFound("resident_not_found", _("居民不存在或无权查看"))
    level = registry_write_level(actor, current.region_code)
    if level is None:
        raise Forbidden("registry_forbidden", _("无权修改该居民的信息"))
    return current, level


@transaction.atomic
def resident_update(*, actor: Any, resident: Resident | int, data: Mapping[str, Any]) -> Resident:
    """Change a resident's fields (`RESIDENT_FIELDS`; `tags` replaces the whole set).

    Household and region change only by `resident_move`, status by the mark_* services.
    A grid worker may change `phone` and `tags` only (Forbidden otherwise). Errors as
    `resident_create`.
    """
    current, level = _resident_for_write(actor, resident)
    unknown = sorted(set(data) - set(RESIDENT_FIELDS))
    if unknown:
        message = _(
            "不能在此修改这些字段：%(fields)s（户和区划请办理迁移，状态请办理迁出或死亡登记）"
        )
        raise ValidationFailed(
            "resident_field_unknown",
            message % {"fields": "、".join(unknown)},
            detail={"fields": dict.fromkeys(unknown, "不可修改")},
        )
    if level == LIMITED_ACCESS and set(data) - LIMITED_RESIDENT_FIELDS:
        raise Forbidden("registry_limited", _("网格员只能修改居民的手机号和标签"))
    values, errors, parsed_tags = _resident_values(
        data, current=current, today=timezone.localdate()
    )
    relation = values.get("relation", current.relation)
    household = current.household
    becomes_head = relation == Resident.Relation.HEAD and (
        household is None or household.head_id != current.pk
    )
    if becomes_head and household is None and "relation" not in errors:
        errors["relation"] = _("没有所属户的居民不能是户主")
    _raise("resident_invalid", errors)
    if becomes_head and household is not None and household.head_id is not None:
        raise _head_conflict(household)
    if values.get("id_number_hash") and values["id_number_hash"] != current.id_number_hash:
        _check_id_number_free(values["id_number_hash"], exclude_pk=current.pk)
    changed = [k for k, v in values.items() if getattr(current, k) != v]
    for key in changed:
        setattr(current, key, values[key])
    if changed:
        try:
            current.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as exc:
            raise _id_number_conflict() from exc
    if parsed_tags is not None:
        _tags_write(current, parsed_tags)
    if household is not None:
        if becomes_head:
            household.head = current
            household.save(update_fields=["head", "updated_at"])
        elif household.head_id == current.pk and relation != Resident.Relation.HEAD:
            household.head = None
            household.save(update_fields=["head", "updated_at"])
    return current


@transaction.atomic
def resident_tags_set(*, actor: Any, resident: Resident | int, tags: Iterable[Any]) -> Resident:
    """Replace a resident's tags (grid workers may, in their grid)."""
    return resident_update(actor=actor, resident=resident, data={"tags": list(tags)})


def _move_checks(current: Resident, moved_on: Any, reason: str, today: date) -> tuple[date, str]:
    errors: dict[str, str] = {}
    day = _as_date(moved_on)
    if day is None:
        errors["moved_on"] = _("请填写日期（年-月-日）")
    elif day > today:
        errors["moved_on"] = _("日期不能晚于今天")
    elif day < current.birth_date:
        errors["moved_on"] = _("日期不能早于出生日期")
    else:
        last = ResidentMove.objects.filter(resident=current).order_by("-moved_on").first()
        if last is not None and day < last.moved_on:
            errors["moved_on"] = _("日期不能早于上一次变动（%(day)s）") % {"day": last.moved_on}
    reason = _text(reason)
    if len(reason) > 150:
        errors["reason"] = _("原因不能超过150字")
    _raise("resident_move_invalid", errors)
    return day, reason  # type: ignore[return-value]


def _leave_household(current: Resident) -> None:
    household = current.household
    if household is not None and household.head_id == current.pk:
        household.head = None
        household.save(update_fields=["head", "updated_at"])


@transaction.atomic
def resident_move(
    *,
    actor: Any,
    resident: Resident | int,
    to_household: Household | int,
    moved_on: date | str | None,
    reason: str = "",
    relation: str = Resident.Relation.OTHER,
) -> ResidentMove:
    """Move a resident to another household (possibly in another region), keeping history.

    The actor needs full registry write access at both ends (a town moving someone to another
    town asks the county, ADR 0021). The resident takes the new household's region (tags
    follow), leaves the old household's head seat, and becomes active again if they had moved
    out. Deceased residents do not move (Conflict).
    """
    current, level = _resident_for_write(actor, resident)
    if level != FULL_ACCESS:
        raise Forbidden("registry_limited", _("网格员不能办理居民迁移"))
    target = _household_for_member(actor, to_household)
    if current.status == Resident.Status.DECEASED:
        raise Conflict("resident_deceased", _("该居民已登记死亡，不能迁移"))
    if current.household_id == target.pk:
        message = _("新户与原户相同")
        raise ValidationFailed(
            "resident_move_same", message, detail={"fields": {"to_household": message}}
        )
    if relation not in Resident.Relation.values:
        raise ValidationFailed(
            "resident_move_invalid",
            _("与户主关系无效"),
            detail={"fields": {"relation": _("与户主关系无效")}},
        )
    if relation == Resident.Relation.HEAD and target.head_id is not None:
        raise _head_conflict(target)
    day, reason = _move_checks(current, moved_on, reason, timezone.localdate())
    move = ResidentMove(
        resident=current,
        region=target.region,
        from_household=current.household,
        to_household=target,
        from_region_code=current.region_code,
        reason=reason,
        moved_on=day,
    )
    move.save()
    _leave_household(current)
    current.household = target
    current.region = target.region
    current.relation = relation
    current.status = Resident.Status.ACTIVE
    current.save(update_fields=["household", "region", "relation", "status", "updated_at"])
    # A move is one recorded act (ResidentMove); the tags only follow the new region.
    ResidentTag.objects.filter(resident=current).update(
        region=target.region, region_code=target.region.code
    )
    if relation == Resident.Relation.HEAD:
        target.head = current
        target.save(update_fields=["head", "updated_at"])
    return move


def _leave_registry(
    actor: Any, resident: Resident | int, status: str, on: Any, reason: str, label: str
) -> Resident:
    current, level = _resident_for_write(actor, resident)
    if level != FULL_ACCESS:
        raise Forbidden("registry_limited", _("网格员不能办理迁出或死亡登记"))
    if current.status != Resident.Status.ACTIVE:
        raise Conflict(
            "resident_not_active",
            _("该居民当前状态为“%(status)s”，不能再办理")
            % {"status": current.get_status_display()},
        )
    day, reason = _move_checks(current, on, reason, timezone.localdate())
    # The history keeps the departure as a move to no household (迁出 / 死亡 + reason).
    ResidentMove(
        resident=current,
        region=current.region,
        from_household=current.household,
        to_household=None,
        from_region_code=current.region_code,
        reason=f"{label}：{reason}" if reason else label,
        moved_on=day,
    ).save()
    _leave_household(current)
    current.status = status
    fields = ["status", "updated_at"]
    if status == Resident.Status.MOVED_OUT:
        current.household = None
        fields.append("household")
    current.save(update_fields=fields)
    return current


@transaction.atomic
def resident_mark_moved_out(
    *, actor: Any, resident: Resident | int, moved_on: date | str | None, reason: str = ""
) -> Resident:
    """The resident left the county's registry (迁出): status moved_out, out of the household,
    history row kept. `resident_move` brings them back."""
    return _leave_registry(actor, resident, Resident.Status.MOVED_OUT, moved_on, reason, "迁出")


@transaction.atomic
def resident_mark_deceased(
    *, actor: Any, resident: Resident | int, died_on: date | str | None, reason: str = ""
) -> Resident:
    """Record a death: status deceased (final), no longer head; stays listed in the household's
    history."""
    return _leave_registry(actor, resident, Resident.Status.DECEASED, died_on, reason, "死亡")


# --- PII reveal -------------------------------------------------------------------------------


def may_reveal(actor: Any, region_code: str) -> bool:
    """Whether `actor` may see full PII of rows in `region_code` (a person, never a token)."""
    if (
        not getattr(actor, "is_authenticated", False)
        or getattr(actor, "active_roles", None) is None
    ):
        return False
    if getattr(actor, "is_superuser", False):
        return True
    return any(
        role.role in REVEAL_ROLES and region_code.startswith(role.region.prefix)
        for role in actor.active_roles
    )


def reveal_refusal() -> Forbidden:
    return Forbidden(
        "reveal_forbidden", _("您的角色无权查看完整的身份证号或手机号（仅显示脱敏信息）")
    )


def field_error(field: str, message: str) -> ValidationFailed:
    """A one-field ValidationFailed (detail {"fields": {field: message}})."""
    return ValidationFailed("invalid_input", message, detail={"fields": {field: message}})


@transaction.atomic
def pii_reveal(*, actor: Any, obj: Resident | Household, field: str, reason: str) -> str:
    """The clear value of one PII field, shown to one person for a stated reason.

    Allowed to county admins, town staff and community workers whose role covers the row, and
    to platform superusers; never to leaders, grid workers or API tokens (ADR 0020). Every
    reveal writes a core.PiiReveal record (who, whose, which field, why, from which IP) and an
    audit entry (action "reveal", no value). NotFound (404) for a row the actor cannot see,
    Forbidden (403) for a role that may not reveal, ValidationFailed (422) for an unknown
    field or an empty reason. An empty field reveals nothing and records nothing.
    """
    model = type(obj)
    fresh = model.objects.visible_to(actor).filter(pk=obj.pk).first()  # type: ignore[attr-defined]
    if fresh is None:
        raise NotFound("not_found", _("记录不存在或无权查看"))
    if (
        not getattr(actor, "is_authenticated", False)
        or getattr(actor, "active_roles", None) is None
    ):
        raise Forbidden(
            "reveal_forbidden_token", _("API 令牌不能查看完整的敏感信息，请由工作人员登录后查看")
        )
    if not may_reveal(actor, fresh.region_code):
        raise reveal_refusal()
    if field not in REVEALABLE_FIELDS.get(model, ()):
        message = _("不能查看该字段")
        raise ValidationFailed(
            "reveal_field_invalid", message, detail={"fields": {"field": message}}
        )
    reason = _text(reason)
    if not reason:
        message = _("请填写查看原因")
        raise ValidationFailed(
            "reveal_reason_required", message, detail={"fields": {"reason": message}}
        )
    if len(reason) > 200:
        message = _("查看原因不能超过200字")
        raise ValidationFailed(
            "reveal_reason_too_long", message, detail={"fields": {"reason": message}}
        )
    value = getattr(fresh, field) or ""
    if not value:
        return ""
    context = current_request.get()
    PiiReveal.objects.create(
        actor=actor,
        actor_label=str(actor)[:150],
        ip_address=context.ip_address if context else None,
        model_label=fresh._meta.label,
        object_pk=str(fresh.pk),
        object_repr=str(fresh)[:200],
        field_name=field,
        reason=reason,
        region_code=fresh.region_code,
    )
    audit.write_entry(
        action="reveal",
        instance=fresh,
        changes={"field": field, "field_label": FIELD_LABELS.get(field, field)},
        reason=reason,
        actor=actor,
    )
    return str(value)
