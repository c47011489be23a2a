"""Writes to the facility registry and its type catalogue.

Facilities: create, update, close — scoped to the actor's write region, every problem in
the input reported at once (ValidationFailed, `detail={"errors": [...]}`), nothing written
on error. Coordinates are stored as WGS84/CGCS2000; GCJ-02 input (高德/腾讯 pickers) is
converted here, at the boundary (`coord_system="gcj02"`).

Facility types are a county catalogue: only county admins (and superusers) edit them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.scoping import scope_of
from linli.facilities.coords import gcj02_to_wgs84
from linli.facilities.models import Facility, FacilityType
from linli.regions.models import Building, Region

COORD_SYSTEMS = ("wgs84", "gcj02")
# China's extent (as for region centres): catches swapped or mistyped coordinates.
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
MAX_AREA = Decimal("99999999.99")  # the column's max_digits=10, decimal_places=2
UPDATABLE_FIELDS = (
    "type",
    "name",
    "address",
    "building",
    "lng",
    "lat",
    "building_area_m2",
    "weekday_hours",
    "extended_evening",
    "weekend_open",
    "operator",
    "operator_name",
    "status",
)

_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d|24:00"
_RANGE_RE = re.compile(rf"^({_TIME})-({_TIME})$")


def hours_normalize(text: str) -> tuple[str, str | None]:
    """Normalise opening hours to "HH:MM-HH:MM[,HH:MM-HH:MM…]"; return (value, error).

    Accepts full-width colons and commas, "~" or dashes between times, and several ranges
    (a lunch break: "08:30-12:00,14:30-17:30"). Blank means "not recorded"."""
    raw = (text or "").strip()
    if not raw:
        return "", None
    full_width: dict[str, str | int | None] = {"：": ":", "，": ",", "；": ",", ";": ",", "、": ","}
    unified = raw.translate(str.maketrans(full_width))
    unified = re.sub(r"\s*[~～—–－]\s*|\s+-\s+", "-", unified)
    parts = [p.strip() for p in unified.split(",") if p.strip()]
    ranges: list[tuple[str, str]] = []
    for part in parts:
        match = _RANGE_RE.match(part)
        if not match:
            return raw, f"开放时间“{part}”格式应为 HH:MM-HH:MM，如 08:30-17:30"
        start, end = match.groups()
        if start == "24:00" or start >= end:
            return raw, f"开放时间“{part}”的开始时间应早于结束时间"
        ranges.append((start, end))
    for (_s1, e1), (s2, _e2) in itertools.pairwise(ranges):
        if s2 < e1:
            return raw, "开放时间的各时段应按先后顺序且不重叠"
    return ",".join(f"{s}-{e}" for s, e in ranges), None


def _area(value: Any) -> tuple[Decimal | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None, "建筑面积应为数字（平方米）"
    if not number.is_finite():
        return None, "建筑面积应为数字（平方米）"
    if number < 0:
        return None, "建筑面积不能为负数"
    if number > MAX_AREA:
        return None, "建筑面积过大，请检查单位（平方米）"
    return number.quantize(Decimal("0.01")), None


def _coordinates(
    lng: Any, lat: Any, coord_system: str
) -> tuple[float | None, float | None, list[str]]:
    if coord_system not in COORD_SYSTEMS:
        return None, None, [f"坐标系“{coord_system}”无效，应为 wgs84 或 gcj02"]
    if lng is None and lat is None:
        return None, None, []
    if lng is None or lat is None:
        return None, None, ["经度和纬度应同时填写"]
    try:
        x, y = float(lng), float(lat)
    except (TypeError, ValueError):
        return None, None, ["经纬度应为数字"]
    errors = []
    if not (math.isfinite(x) and LNG_RANGE[0] <= x <= LNG_RANGE[1]):
        errors.append("经度应在 73 至 136 之间（请检查是否与纬度填反）")
    if not (math.isfinite(y) and LAT_RANGE[0] <= y <= LAT_RANGE[1]):
        errors.append("纬度应在 3 至 54 之间")
    if errors:
        return None, None, errors
    if coord_system == "gcj02":
        x, y = gcj02_to_wgs84(x, y)
    return round(x, 7), round(y, 7), []


def _require_write(actor: Any, region_code: str) -> None:
    scope = scope_of(actor)
    if not scope.can_write:
        raise Forbidden("read_only", "当前账号或令牌为只读，不能修改数据")
    if not scope.covers(region_code):
        raise Forbidden("facility_forbidden", "无权在该区划登记设施：超出您的管理范围")


def _clean(values: dict[str, Any], *, actor: Any, creating: bool) -> list[str]:
    """Normalise `values` in place and return every error found."""
    from linli.orgs.models import Organisation

    errors: list[str] = []
    if "name" in values:
        values["name"] = str(values["name"] or "").strip()
        if not values["name"]:
            errors.append("设施名称不能为空")
        elif len(values["name"]) > 150:
            errors.append("设施名称不能超过150字")
    if "address" in values:
        values["address"] = str(values["address"] or "").strip()
        if len(values["address"]) > 200:
            errors.append("地址不能超过200字")
    if "type" in values:
        facility_type = values["type"]
        if facility_type is None:
            errors.append("请选择设施类型")
        elif creating and not facility_type.is_active:
            errors.append(f"设施类型“{facility_type.name}”已停用")
    if "building_area_m2" in values:
        values["building_area_m2"], error = _area(values["building_area_m2"])
        if error:
            errors.append(error)
    if "weekday_hours" in values:
        values["weekday_hours"], error = hours_normalize(values["weekday_hours"])
        if error:
            errors.append(error)
    if "status" in values and values["status"] not in Facility.Status.values:
        errors.append(f"状态“{values['status']}”无效")
    building = values.get("building")
    if building is not None and not (
        Building.objects.visible_to(actor).filter(pk=building.pk).exists()
    ):
        errors.append("楼栋不存在或不在您的管理范围内")
    operator = values.get("operator")
    if operator is not None:
        if not Organisation.objects.visible_to(actor).filter(pk=operator.pk).exists():
            errors.append("运营方组织不存在或不在您的管理范围内")
        elif not str(values.get("operator_name") or "").strip():
            values["operator_name"] = operator.name
    if "operator_name" in values:
        values["operator_name"] = str(values["operator_name"] or "").strip()
        if len(values["operator_name"]) > 150:
            errors.append("运营方名称不能超过150字")
    return errors


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise ValidationFailed("facility_invalid", "；".join(errors), detail={"errors": errors})


def _name_conflict(region: Region, facility_type: FacilityType, name: str) -> Conflict:
    return Conflict("facility_exists", f"{region.name}已有同名的{facility_type.name}“{name}”")


@transaction.atomic
def facility_create(
    *,
    actor: Any,
    region: Region,
    type: FacilityType,  # the model's field name
    name: str,
    address: str = "",
    building: Building | None = None,
    lng: float | None = None,
    lat: float | None = None,
    coord_system: str = "wgs84",
    building_area_m2: Any = None,
    weekday_hours: str = "",
    extended_evening: bool = False,
    weekend_open: bool = False,
    operator: Any = None,
    operator_name: str = "",
    status: str = Facility.Status.OPERATING,
) -> Facility:
    """Register a facility in `region` (403 outside the write scope, 409 same name and type
    in the region, 422 invalid input)."""
    _require_write(actor, region.code)
    values: dict[str, Any] = {
        "type": type,
        "name": name,
        "address": address,
        "building": building,
        "building_area_m2": building_area_m2,
        "weekday_hours": weekday_hours,
        "operator": operator,
        "operator_name": operator_name,
        "status": status,
    }
    errors = _clean(values, actor=actor, creating=True)
    values["lng"], values["lat"], coord_errors = _coordinates(lng, lat, coord_system)
    _raise_if(errors + coord_errors)
    if Facility.objects.filter(region=region, type=type, name=values["name"]).exists():
        raise _name_conflict(region, type, values["name"])
    facility = Facility(
        region=region, extended_evening=extended_evening, weekend_open=weekend_open, **values
    )
    try:
        with transaction.atomic():
            facility.save()
    except IntegrityError as exc:
        raise _name_conflict(region, type, values["name"]) from exc
    return facility


def _locked_visible(actor: Any, facility: Facility) -> Facility:
    row = (
        Facility.objects.visible_to(actor)
        .select_for_update()
        .select_related("region", "type")
        .filter(pk=facility.pk)
        .first()
    )
    if row is None:
        raise NotFound("facility_not_found", "未找到该设施，或您无权查看")
    _require_write(actor, row.region_code)
    return row


@transaction.atomic
def facility_update(
    *, actor: Any, facility: Facility, data: Mapping[str, Any], coord_system: str = "wgs84"
) -> Facility:
    """Change the fields in `data` (UPDATABLE_FIELDS; `lng`/`lat` go together, in
    `coord_system`). The region never changes. 404 unseen, 403 read-only, 409, 422."""
    row = _locked_visible(actor, facility)
    unknown = sorted(set(data) - set(UPDATABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            "facility_immutable",
            f"不能修改这些字段：{'、'.join(unknown)}（所在区划登记后不能修改）",
            detail={"fields": unknown},
        )
    values = {k: v for k, v in data.items() if k not in ("lng", "lat")}
    errors = _clean(values, actor=actor, creating=False)
    if "lng" in data or "lat" in data:
        lng, lat, coord_errors = _coordinates(
            data.get("lng", row.lng), data.get("lat", row.lat), coord_system
        )
        errors += coord_errors
        values["lng"], values["lat"] = lng, lat
    _raise_if(errors)
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    if not changed:
        return row
    for key in changed:
        setattr(row, key, values[key])
    if {"name", "type"} & set(changed) and Facility.objects.filter(
        region_id=row.region_id, type=row.type, name=row.name
    ).exclude(pk=row.pk).exists():
        raise _name_conflict(row.region, row.type, row.name)
    row.save(update_fields=[*changed, "updated_at"])
    return row


@transaction.atomic
def facility_close(*, actor: Any, facility: Facility) -> Facility:
    """Mark a facility closed (it stops counting for indicators; the record stays)."""
    row = _locked_visible(actor, facility)
    if row.status == Facility.Status.CLOSED:
        raise Conflict("facility_closed", f"设施“{row.name}”已关闭")
    row.status = Facility.Status.CLOSED
    row.save(update_fields=["status", "updated_at"])
    return row


# --- the type catalogue ---------------------------------------------------------------------

TYPE_FIELDS = (
    "code",
    "name",
    "category",
    "description",
    "life_circle",
    "walk_threshold_m",
    "sort_order",
    "is_active",
)


def _require_catalogue_admin(actor: Any) -> None:
    is_admin = getattr(actor, "is_superuser", False) or (
        hasattr(actor, "has_role") and actor.has_role("county_admin")
    )
    if not (is_admin and scope_of(actor).can_write):
        raise Forbidden("facility_type_forbidden", "只有县级管理员可以维护设施类型")


def _clean_type(values: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    if "code" in values:
        values["code"] = str(values["code"] or "").strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", values["code"]):
            errors.append("代码应为 2-40 位小写字母、数字或下划线，以字母开头")
    if "name" in values:
        values["name"] = str(values["name"] or "").strip()
        if not values["name"]:
            errors.append("名称不能为空")
        elif len(values["name"]) > 50:
            errors.append("名称不能超过50字")
    if "life_circle" in values:
        values["life_circle"] = str(values["life_circle"] or "")
        if values["life_circle"] not in FacilityType.LifeCircle.values:
            errors.append("生活圈层级应为 5、10、15 或不适用")
    threshold = values.get("walk_threshold_m")
    if threshold is not None and not (50 <= int(threshold) <= 5000):
        errors.append("步行距离阈值应在 50 至 5000 米之间")
    if values.get("life_circle") and "walk_threshold_m" in values and threshold is None:
        errors.append("选择了生活圈层级时须填写步行距离阈值")
    return errors


@transaction.atomic
def facility_type_create(*, actor: Any, **fields: Any) -> FacilityType:
    _require_catalogue_admin(actor)
    unknown = sorted(set(fields) - set(TYPE_FIELDS))
    if unknown:
        raise ValidationFailed("facility_type_invalid", f"未知字段：{'、'.join(unknown)}")
    values = dict(fields)
    errors = _clean_type(values)
    if errors:
        raise ValidationFailed(
            "facility_type_invalid", "；".join(errors), detail={"errors": errors}
        )
    if FacilityType.objects.filter(code=values["code"]).exists():
        raise Conflict("facility_type_exists", f"代码“{values['code']}”已被使用")
    if FacilityType.objects.filter(name=values["name"]).exists():
        raise Conflict("facility_type_exists", f"名称“{values['name']}”已被使用")
    return FacilityType.objects.create(**values)


@transaction.atomic
def facility_type_update(
    *, actor: Any, facility_type: FacilityType, data: Mapping[str, Any]
) -> FacilityType:
    """Edit a type. The code is the stable key that measures use: it cannot change."""
    _require_catalogue_admin(actor)
    row = FacilityType.objects.select_for_update().get(pk=facility_type.pk)
    unknown = sorted(set(data) - (set(TYPE_FIELDS) - {"code"}))
    if unknown:
        raise ValidationFailed(
            "facility_type_immutable",
            f"不能修改这些字段：{'、'.join(unknown)}（代码是统计口径的依据，不能修改）",
        )
    values = dict(data)
    merged = {
        "life_circle": values.get("life_circle", row.life_circle),
        "walk_threshold_m": values.get("walk_threshold_m", row.walk_threshold_m),
        **values,
    }
    errors = _clean_type(merged)
    values.update({k: merged[k] for k in values})
    if errors:
        raise ValidationFailed(
            "facility_type_invalid", "；".join(errors), detail={"errors": errors}
        )
    if (
        "name" in values
        and FacilityType.objects.filter(name=values["name"]).exclude(pk=row.pk).exists()
    ):
        raise Conflict("facility_type_exists", f"名称“{values['name']}”已被使用")
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for key in changed:
        setattr(row, key, values[key])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    return row
