"""Writes to the region tree: create, update, and the all-or-nothing tree import.

The rules of a well-formed tree live here once (`_parse` and `_structure_errors`) and are
used by the single-region services and by the import alike:

* codes are digits, 12 long (county, town/street, community/village) or 15 (grid);
* a child's level is its parent's child level: county → town → community → grid;
* a child's code extends its parent's prefix (town: the county's 6 digits, community: the
  town's 9, grid: the community's full 12 digits plus 3);
* communities carry a 城乡分类代码, other levels none.

Code, level and parent never change after creation: every scoped row in the platform
stores its region's code, so moving a region would silently re-scope other people's data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.scoping import region_prefix, scope_of
from linli.core.tabular import ImportFailed, ImportReport
from linli.regions.models import Building, Region

__all__ = [
    "LEVEL_ALIASES",
    "ImportFailed",
    "ImportReport",
    "building_create",
    "building_update",
    "region_create",
    "region_tree_import",
    "region_update",
]

LEVEL_ALIASES: dict[str, str] = {
    "县": "county",
    "区": "county",
    "县级": "county",
    "镇": "town",
    "乡": "town",
    "街道": "town",
    "镇/街道": "town",
    "社区": "community",
    "村": "community",
    "社区/村": "community",
    "网格": "grid",
    **{level: level for level in Region.Level.values},
}
LEVEL_ORDER = {"county": 0, "town": 1, "community": 2, "grid": 3}
URBAN_RURAL_CODES = tuple(Region.UrbanRural.values)
# Optional numeric columns: key → (label, type, min, max).
_NUMBERS: dict[str, tuple[str, type, float, float]] = {
    "center_lng": ("中心经度", float, 73.0, 136.0),
    "center_lat": ("中心纬度", float, 3.0, 54.0),
    "population": ("人口", int, 0, 10**9),
    "households": ("户数", int, 0, 10**9),
}
UPDATABLE_FIELDS = ("name", "urban_rural_code", "boundary", *_NUMBERS)
MAX_IMPORT_ROWS = 50_000


def _level_label(level: str | None) -> str:
    return str(Region.Level(level).label) if level in LEVEL_ORDER else "?"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass
class _Parsed:
    """One region's fields after parsing, with the errors found on the way."""

    code: str
    name: str
    level: str | None
    parent_code: str
    urban_rural_code: str
    numbers: dict[str, float | int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _parse_number(key: str, raw: Any) -> tuple[float | int | None, str | None]:
    label, kind, low, high = _NUMBERS[key]
    text = _text(raw).replace(",", "")
    if not text:
        return None, None
    try:
        number = float(text)
    except ValueError:
        return None, _("%(label)s“%(value)s”不是数字") % {"label": label, "value": text}
    if not math.isfinite(number):
        return None, _("%(label)s“%(value)s”不是数字") % {"label": label, "value": text}
    if kind is int:
        if not number.is_integer() or number < 0:
            return None, _("%(label)s应为非负整数") % {"label": label}
        number = int(number)
    if not low <= number <= high:
        return None, _("%(label)s应在%(low)s至%(high)s之间") % {
            "label": label,
            "low": f"{low:g}",
            "high": f"{high:g}",
        }
    return number, None


def _parse(raw: Mapping[str, Any]) -> _Parsed:
    """Field-by-field checks that need nothing but the row itself."""
    parsed = _Parsed(
        code=_text(raw.get("code")),
        name=_text(raw.get("name")),
        level=None,
        parent_code=_text(raw.get("parent_code")),
        urban_rural_code=_text(raw.get("urban_rural_code")),
    )
    errors = parsed.errors
    if not parsed.code:
        errors.append(_("区划代码不能为空"))
    elif not (parsed.code.isascii() and parsed.code.isdigit()):
        errors.append(_("区划代码“%(code)s”只能由数字组成") % {"code": parsed.code})
    if not parsed.name:
        errors.append(_("名称不能为空"))
    elif len(parsed.name) > 100:
        errors.append(_("名称不能超过100字"))
    level_text = _text(raw.get("level"))
    parsed.level = LEVEL_ALIASES.get(level_text)
    if not level_text:
        errors.append(_("层级不能为空"))
    elif parsed.level is None:
        errors.append(
            _("层级“%(level)s”无效，应为 县、镇、乡、街道、社区、村、网格 之一")
            % {"level": level_text}
        )
    if parsed.parent_code and not (parsed.parent_code.isascii() and parsed.parent_code.isdigit()):
        errors.append(_("上级代码“%(code)s”只能由数字组成") % {"code": parsed.parent_code})
    urc = parsed.urban_rural_code
    if parsed.level == Region.Level.COMMUNITY:
        if not urc:
            errors.append(_("社区/村须填写城乡分类代码（111/112/121/122/123/210/220）"))
        elif urc not in URBAN_RURAL_CODES:
            errors.append(
                _("城乡分类代码“%(urc)s”无效，应为 111/112/121/122/123/210/220 之一") % {"urc": urc}
            )
    elif urc and parsed.level is not None:
        errors.append(
            _("只有社区/村填写城乡分类代码，%(level)s应留空")
            % {"level": _level_label(parsed.level)}
        )
    bad_numbers = set()
    for key in _NUMBERS:
        if key not in raw:
            continue
        number, error = _parse_number(key, raw[key])
        if error:
            errors.append(error)
            bad_numbers.add(key)
        elif number is not None:
            parsed.numbers[key] = number
    given = {key for key in ("center_lng", "center_lat") if key in parsed.numbers}
    if len(given) == 1 and not bad_numbers & {"center_lng", "center_lat"}:
        errors.append(_("中心经度和中心纬度应同时填写"))
    return parsed


def _code_errors(p: _Parsed) -> list[str]:
    """Length and shape of the code for its level (needs a known level and digits)."""
    if p.level is None or not p.code.isdigit():
        return []
    expected = Region.CODE_LENGTH[p.level]
    if len(p.code) != expected:
        if p.level == Region.Level.GRID:
            return [_("网格代码应为15位（所属社区代码加3位），现为%(n)d位") % {"n": len(p.code)}]
        return [_("区划代码应为12位，现为%(n)d位") % {"n": len(p.code)}]
    if p.level == Region.Level.COUNTY and p.code[6:] != "000000":
        return [_("县级区划代码后6位应为000000")]
    if p.level == Region.Level.TOWN and (p.code[9:] != "000" or p.code[6:9] == "000"):
        return [_("镇/街道代码第7至9位不能为000，后3位应为000")]
    if p.level == Region.Level.COMMUNITY and p.code[9:] == "000":
        return [_("社区/村代码后3位不能为000")]
    if p.level == Region.Level.GRID and p.code[12:] == "000":
        return [_("网格代码后3位不能为000")]
    return []


def _structure_errors(p: _Parsed, parent_level: str | None, parent_known: bool) -> list[str]:
    """The code's place in the tree: its parent exists, sits one level up, shares a prefix."""
    errors = _code_errors(p)
    if p.level == Region.Level.COUNTY:
        if p.parent_code:
            errors.append(_("县级区划不填写上级代码"))
        return errors
    if not p.parent_code:
        errors.append(_("请填写上级代码"))
        return errors
    if p.parent_code == p.code:
        errors.append(_("上级代码不能是自身"))
        return errors
    if not parent_known:
        errors.append(
            _("上级代码 %(parent)s 不存在（文件和系统中都没有）") % {"parent": p.parent_code}
        )
        return errors
    if p.level is None or parent_level is None:
        return errors
    expected = Region.CHILD_LEVEL.get(parent_level)
    if expected is None:
        errors.append(_("上级 %(parent)s 是网格，网格下不能再有下级") % {"parent": p.parent_code})
        return errors
    if p.level != expected:
        errors.append(
            _("层级应为%(expected)s：上级 %(parent)s 是%(parent_level)s")
            % {
                "expected": _level_label(expected),
                "parent": p.parent_code,
                "parent_level": _level_label(parent_level),
            }
        )
        return errors
    prefix = region_prefix(p.parent_code, parent_level)
    if p.code.isdigit() and not p.code.startswith(prefix):
        if p.level == Region.Level.GRID:
            errors.append(
                _("网格代码应为所属社区代码 %(parent)s 加3位") % {"parent": p.parent_code}
            )
        else:
            errors.append(
                _("区划代码应以上级代码的前%(n)d位 %(prefix)s 开头")
                % {"n": len(prefix), "prefix": prefix}
            )
    return errors


def _refusal(scope_can_write: bool, code: str) -> str:
    if not scope_can_write:
        return _("无权修改区划：您的账号是只读权限")
    return _("无权导入区划 %(code)s：超出您的管理范围") % {"code": code}


def _field_values(p: _Parsed) -> dict[str, Any]:
    """The values a create or an upsert writes (blank optional cells leave values as they are)."""
    values: dict[str, Any] = {"name": p.name, **p.numbers}
    if p.level == Region.Level.COMMUNITY:
        values["urban_rural_code"] = p.urban_rural_code
    return values


# --- single-region services ---------------------------------------------------------------


def _boundary_error(boundary: Any) -> str | None:
    if boundary is None:
        return None
    if not (
        isinstance(boundary, dict)
        and boundary.get("type") in {"Polygon", "MultiPolygon"}
        and isinstance(boundary.get("coordinates"), list)
    ):
        return _("边界应为 GeoJSON 的 Polygon 或 MultiPolygon")
    return None


@transaction.atomic
def region_create(
    *,
    actor: Any,
    code: str,
    name: str,
    level: str,
    parent_code: str = "",
    urban_rural_code: str = "",
    center_lng: float | None = None,
    center_lat: float | None = None,
    population: int | None = None,
    households: int | None = None,
    boundary: dict[str, Any] | None = None,
    is_illustrative: bool = False,
) -> Region:
    """Add one region under an existing parent. `level` is a level value or a Chinese label.

    Forbidden (403) outside the actor's write scope, Conflict (409) for an existing code,
    ValidationFailed (422, detail {"errors": [...]}) for a malformed region.
    """
    scope = scope_of(actor)
    code = _text(code)
    if not scope.may_write(code):
        raise Forbidden("region_forbidden", _refusal(scope.can_write, code))
    raw: dict[str, Any] = {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent_code,
        "urban_rural_code": urban_rural_code,
        "center_lng": center_lng,
        "center_lat": center_lat,
        "population": population,
        "households": households,
    }
    parsed = _parse(raw)
    parent = Region.objects.filter(code=parsed.parent_code).first() if parsed.parent_code else None
    errors = parsed.errors + _structure_errors(
        parsed, parent.level if parent else None, parent is not None
    )
    if boundary_error := _boundary_error(boundary):
        errors.append(boundary_error)
    if errors:
        raise ValidationFailed("region_invalid", "；".join(errors), detail={"errors": errors})
    if Region.objects.filter(code=code).exists():
        raise Conflict("region_exists", _("区划代码 %(code)s 已存在") % {"code": code})
    region = Region(
        code=code,
        level=str(parsed.level),
        parent=parent,
        boundary=boundary,
        is_illustrative=is_illustrative,
        **_field_values(parsed),
    )
    try:
        region.save()
    except IntegrityError as exc:
        raise Conflict("region_exists", _("区划代码 %(code)s 已存在") % {"code": code}) from exc
    return region


@transaction.atomic
def region_update(*, actor: Any, code: str, data: Mapping[str, Any]) -> Region:
    """Change a region's descriptive fields (`UPDATABLE_FIELDS`); None clears an optional one.

    Code, level and parent cannot change. NotFound (404) if the actor cannot see the region,
    Forbidden (403) if it can see but not write, ValidationFailed (422) for bad values.
    """
    scope = scope_of(actor)
    region = Region.objects.visible_to(actor).select_for_update().filter(code=code).first()
    if region is None:
        raise NotFound("region_not_found", _("区划不存在或无权查看"))
    if not scope.may_write(code):
        raise Forbidden("region_forbidden", _refusal(scope.can_write, code))
    unknown = sorted(set(data) - set(UPDATABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            "region_immutable",
            _("不能修改这些字段：%(fields)s（区划代码、层级和上级创建后不能修改）")
            % {"fields": "、".join(unknown)},
            detail={"fields": unknown},
        )
    errors: list[str] = []
    changes: dict[str, Any] = {}
    if "name" in data:
        name = _text(data["name"])
        if not name:
            errors.append(_("名称不能为空"))
        elif len(name) > 100:
            errors.append(_("名称不能超过100字"))
        changes["name"] = name
    if "urban_rural_code" in data:
        urc = _text(data["urban_rural_code"])
        if region.level == Region.Level.COMMUNITY and urc not in URBAN_RURAL_CODES:
            errors.append(_("社区/村须填写有效的城乡分类代码（111/112/121/122/123/210/220）"))
        elif region.level != Region.Level.COMMUNITY and urc:
            errors.append(_("只有社区/村填写城乡分类代码"))
        changes["urban_rural_code"] = urc
    for key in _NUMBERS:
        if key in data:
            number, error = _parse_number(key, data[key])
            if error:
                errors.append(error)
            changes[key] = number
    if "boundary" in data:
        if boundary_error := _boundary_error(data["boundary"]):
            errors.append(boundary_error)
        changes["boundary"] = data["boundary"]
    if errors:
        raise ValidationFailed("region_invalid", "；".join(errors), detail={"errors": errors})
    changed = [k for k, v in changes.items() if getattr(region, k) != v]
    for key in changed:
        setattr(region, key, changes[key])
    if changed:
        region.save(update_fields=[*changed, "updated_at"])
    return region


# --- the tree import ------------------------------------------------------------------------


def _fetch_by_code(codes: set[str]) -> dict[str, Region]:
    found: dict[str, Region] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 500):  # stay below SQLite's parameter limit
        chunk = ordered[start : start + 500]
        found.update(
            (r.code, r) for r in Region.objects.select_related("parent").filter(code__in=chunk)
        )
    return found


@transaction.atomic
def region_tree_import(*, actor: Any, rows: Sequence[Mapping[str, Any]]) -> ImportReport:
    """Import a region tree, all or nothing; returns the report when every row is good.

    `rows` are keyed like `regions.io.REGION_COLUMNS` (code, name, level, parent_code,
    urban_rural_code, center_lng, center_lat, population, households); a row's `number`
    attribute (see `core.tabular.Row`) is the spreadsheet row, else its index + 2.

    A parent may be anywhere in the file or already in the database. An existing code
    with the same level and parent is an upsert (name, 城乡分类代码 and the non-blank
    optional cells are written; a blank cell keeps the stored value), so importing the
    same file twice changes nothing. If any row fails, nothing is written and
    `ImportFailed` is raised: a ValidationFailed with code "import_invalid", status 422,
    message "导入文件有 N 行错误，未导入任何数据", `detail` = report.as_dict() and
    `.report` = the ImportReport (for the row-by-row error file).
    """
    if not rows:
        raise ValidationFailed("import_empty", _("文件中没有数据行"))
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed(
            "import_too_large",
            _("一次最多导入 %(n)d 行，请分批导入") % {"n": MAX_IMPORT_ROWS},
        )
    scope = scope_of(actor)
    report = ImportReport(total=len(rows))
    numbered = [(getattr(raw, "number", index + 2), _parse(raw)) for index, raw in enumerate(rows)]

    first_row: dict[str, int] = {}
    in_file: dict[str, _Parsed] = {}
    for number, parsed in numbered:
        if parsed.code and parsed.code in first_row:
            parsed.errors.append(
                _("区划代码 %(code)s 与第%(row)d行重复")
                % {"code": parsed.code, "row": first_row[parsed.code]}
            )
        elif parsed.code:
            first_row[parsed.code] = number
            in_file[parsed.code] = parsed
    existing = _fetch_by_code(
        {p.code for _n, p in numbered if p.code} | {p.parent_code for _n, p in numbered}
    )

    for number, parsed in numbered:
        if parsed.code and not scope.may_write(parsed.code):
            report.add_error(number, _refusal(scope.can_write, parsed.code))
            continue
        file_parent = in_file.get(parsed.parent_code)
        db_parent = existing.get(parsed.parent_code)
        parent_level = (
            file_parent.level
            if file_parent is not None and file_parent.level is not None
            else (db_parent.level if db_parent is not None else None)
        )
        errors = parsed.errors + _structure_errors(
            parsed, parent_level, file_parent is not None or db_parent is not None
        )
        current = existing.get(parsed.code)
        if current is not None and parsed.level is not None:
            current_parent = current.parent.code if current.parent else ""
            if current.level != parsed.level:
                errors.append(
                    _("区划代码 %(code)s 已存在，层级为%(old)s，与本行的%(new)s不一致")
                    % {
                        "code": parsed.code,
                        "old": _level_label(current.level),
                        "new": _level_label(parsed.level),
                    }
                )
            elif current_parent != parsed.parent_code:
                errors.append(
                    _("区划代码 %(code)s 已存在，上级为 %(old)s，与本行的 %(new)s 不一致")
                    % {
                        "code": parsed.code,
                        "old": current_parent or "无",
                        "new": parsed.parent_code,
                    }
                )
        for message in errors:
            report.add_error(number, message)
    if not report.ok:
        raise ImportFailed(report)

    # Every row is good: write parents before children. save() (not bulk_create) so that
    # the audit log records each change.
    by_code: dict[str, Region] = dict(existing)
    ordered = sorted((p for _n, p in numbered), key=lambda p: LEVEL_ORDER[p.level or "grid"])
    try:
        for parsed in ordered:
            values = _field_values(parsed)
            current = by_code.get(parsed.code)
            if current is None:
                region = Region(
                    code=parsed.code,
                    level=str(parsed.level),
                    parent=by_code.get(parsed.parent_code),
                    **values,
                )
                region.save()
                by_code[parsed.code] = region
                report.created += 1
                continue
            changed = [k for k, v in values.items() if getattr(current, k) != v]
            if not changed:
                report.unchanged += 1
                continue
            for key in changed:
                setattr(current, key, values[key])
            current.save(update_fields=[*changed, "updated_at"])
            report.updated += 1
    except IntegrityError as exc:
        raise Conflict("region_conflict", _("区划数据已被他人同时修改，请重新导入")) from exc
    return report


# --- buildings ------------------------------------------------------------------------------
# Buildings are registry data like households and residents: only the roles that keep the
# registry (ADR 0021) write them, always inside a grid or a community of their write scope.

# Roles that keep the registry; grid workers get the narrower "limited" access (ADR 0021).
REGISTRY_WRITER_ROLES = frozenset({"county_admin", "town_staff", "community_worker"})
REGISTRY_LIMITED_ROLES = frozenset({"grid_worker"})
FULL_ACCESS = "full"
LIMITED_ACCESS = "limited"

BUILDING_FIELDS = ("name", "address", "kind", "floors", "units", "lng", "lat", "region_code")
_BUILDING_NUMBERS: dict[str, tuple[str, float, float, bool]] = {
    # key → (label, min, max, integer)
    "floors": ("层数", 1, 200, True),
    "units": ("单元数", 1, 100, True),
    "lng": ("经度", 73.0, 136.0, False),
    "lat": ("纬度", 3.0, 54.0, False),
}


def registry_write_level(actor: Any, region_code: str) -> str | None:
    """How far `actor` may write registry rows of `region_code`: FULL_ACCESS, LIMITED_ACCESS
    (grid workers: a resident's phone and tags) or None.

    Users are judged by the roles whose region covers the code (a department handler holds a
    writable scope for cases, not for the registry); API tokens and bare Scopes by their scope.
    """
    if not scope_of(actor).may_write(region_code):
        return None
    roles = getattr(actor, "active_roles", None)
    if roles is None or getattr(actor, "is_superuser", False):
        return FULL_ACCESS
    level = None
    for role in roles:
        if not region_code.startswith(role.region.prefix):
            continue
        if role.role in REGISTRY_WRITER_ROLES:
            return FULL_ACCESS
        if role.role in REGISTRY_LIMITED_ROLES:
            level = LIMITED_ACCESS
    return level


def registry_region_for_write(actor: Any, region_code: str, *, what: str) -> Region:
    """The grid or community `region_code` if `actor` may keep the registry there.

    NotFound (404) for a region the actor cannot see, Forbidden (403) without full registry
    write access, ValidationFailed (422) for a county or town (rows sit in a grid or community).
    """
    code = _text(region_code)
    if not code:
        message = _("请选择所在网格或社区")
        raise ValidationFailed("region_required", message, detail={"fields": {"region": message}})
    region = Region.objects.visible_to(actor).filter(code=code).first()
    if region is None:
        raise NotFound("region_not_found", _("区划不存在或无权查看"))
    if registry_write_level(actor, region.code) != FULL_ACCESS:
        raise Forbidden(
            "registry_forbidden",
            _("无权在%(region)s登记%(what)s") % {"region": region.name, "what": what},
        )
    if region.level not in (Region.Level.GRID, Region.Level.COMMUNITY):
        message = _("%(what)s应登记在网格或社区/村，不能直接登记在%(level)s") % {
            "what": what,
            "level": region.get_level_display(),
        }
        raise ValidationFailed(
            "region_level_invalid", message, detail={"fields": {"region": message}}
        )
    return region


def _building_values(
    data: Mapping[str, Any], *, partial: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse building fields; returns (values, errors by field)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, label, limit in (("name", "楼栋名称", 100), ("address", "地址", 200)):
        if key not in data and partial:
            continue
        text = _text(data.get(key))
        if not text:
            errors[key] = _("%(label)s不能为空") % {"label": label}
        elif len(text) > limit:
            errors[key] = _("%(label)s不能超过%(n)d字") % {"label": label, "n": limit}
        values[key] = text
    if "kind" in data or not partial:
        kind = _text(data.get("kind")) or Building.Kind.RESIDENTIAL
        if kind not in Building.Kind.values:
            errors["kind"] = _("楼栋类型无效")
        values["kind"] = kind
    for key, (label, low, high, integer) in _BUILDING_NUMBERS.items():
        if key not in data:
            continue
        text = _text(data.get(key))
        if not text:
            values[key] = None
            continue
        try:
            number = float(text)
        except ValueError:
            errors[key] = _("%(label)s应为数字") % {"label": label}
            continue
        if not math.isfinite(number) or (integer and not number.is_integer()):
            errors[key] = _("%(label)s应为%(kind)s") % {
                "label": label,
                "kind": _("整数") if integer else _("数字"),
            }
            continue
        if not low <= number <= high:
            errors[key] = _("%(label)s应在%(low)s至%(high)s之间") % {
                "label": label,
                "low": f"{low:g}",
                "high": f"{high:g}",
            }
            continue
        values[key] = int(number) if integer else number
    return values, errors


def _raise_field_errors(code: str, errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(code, "；".join(errors.values()), detail={"fields": errors})


def _building_address_taken(region: Region, address: str, exclude_pk: int | None = None) -> bool:
    others = Building.objects.filter(region=region, address=address)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


@transaction.atomic
def building_create(
    *,
    actor: Any,
    region_code: str,
    name: str,
    address: str,
    kind: str = Building.Kind.RESIDENTIAL,
    floors: int | None = None,
    units: int | None = None,
    lng: float | None = None,
    lat: float | None = None,
) -> Building:
    """Register a building in a grid or community of the actor's registry write scope.

    NotFound/Forbidden/ValidationFailed as `registry_region_for_write`; ValidationFailed
    (detail {"fields": {...}}) for bad values; Conflict (409) for an address already
    registered in that region.
    """
    region = registry_region_for_write(actor, region_code, what=_("楼栋"))
    values, errors = _building_values(
        {
            "name": name,
            "address": address,
            "kind": kind,
            "floors": floors,
            "units": units,
            "lng": lng,
            "lat": lat,
        },
        partial=False,
    )
    if (values.get("lng") is None) != (values.get("lat") is None) and not errors.keys() & {
        "lng",
        "lat",
    }:
        errors["lat"] = _("经度和纬度应同时填写")
    _raise_field_errors("building_invalid", errors)
    if _building_address_taken(region, values["address"]):
        raise Conflict(
            "building_exists",
            _("%(region)s已有地址为“%(address)s”的楼栋")
            % {"region": region.name, "address": values["address"]},
        )
    building = Building(region=region, **values)
    try:
        building.save()
    except IntegrityError as exc:
        raise Conflict("building_exists", _("该地址的楼栋已登记")) from exc
    return building


@transaction.atomic
def building_update(*, actor: Any, building: Building, data: Mapping[str, Any]) -> Building:
    """Change a building's fields (`BUILDING_FIELDS`); `region_code` may move it to another
    grid of the same community. NotFound if unseen, Forbidden without registry write access."""
    current = Building.objects.visible_to(actor).select_for_update().filter(pk=building.pk).first()
    if current is None:
        raise NotFound("building_not_found", _("楼栋不存在或无权查看"))
    if registry_write_level(actor, current.region_code) != FULL_ACCESS:
        raise Forbidden("registry_forbidden", _("无权修改该楼栋"))
    unknown = sorted(set(data) - set(BUILDING_FIELDS))
    if unknown:
        raise ValidationFailed(
            "building_field_unknown",
            _("不能修改这些字段：%(fields)s") % {"fields": "、".join(unknown)},
            detail={"fields": dict.fromkeys(unknown, "不可修改")},
        )
    values, errors = _building_values(data, partial=True)
    region = current.region
    if "region_code" in data and _text(data["region_code"]) != current.region.code:
        region = registry_region_for_write(actor, data["region_code"], what=_("楼栋"))
        if region.code[:12] != current.region_code[:12]:
            errors["region"] = _("楼栋只能调整到同一社区/村内的网格")
    lng = values.get("lng", current.lng)
    lat = values.get("lat", current.lat)
    if (lng is None) != (lat is None) and not errors.keys() & {"lng", "lat"}:
        errors["lat"] = _("经度和纬度应同时填写")
    _raise_field_errors("building_invalid", errors)
    address = values.get("address", current.address)
    if (address != current.address or region != current.region) and _building_address_taken(
        region, address, exclude_pk=current.pk
    ):
        raise Conflict(
            "building_exists",
            _("%(region)s已有地址为“%(address)s”的楼栋")
            % {"region": region.name, "address": address},
        )
    changed = [k for k, v in values.items() if getattr(current, k) != v]
    for key in changed:
        setattr(current, key, values[key])
    if region != current.region:
        current.region = region
        changed.append("region")
    if changed:
        current.save(update_fields=[*changed, "updated_at"])
    return current
