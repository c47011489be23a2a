"""Writes to the organisation registry: organisations and their members.

Every service takes an explicit `actor` (a user or an API token) and checks the actor's
write scope against the region the row belongs to; invalid input raises ValidationFailed
with every problem found (`detail={"errors": [...]}`) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.pii import is_valid_phone, normalize_phone
from linli.core.scoping import scope_of
from linli.orgs.models import Membership, Organisation, credit_code_error
from linli.regions.models import Region

UPDATABLE_FIELDS = (
    "name",
    "kind",
    "party_level",
    "parent",
    "credit_code",
    "is_regular_service",
    "is_brand",
    "contact_name",
    "contact_phone",
    "founded_on",
    "is_active",
)
# A region moves rows between scopes; it is set once (like a region's own code).
ORG_REGION_LEVELS = ("county", "town", "community", "grid")


def _require_write(actor: Any, region_code: str) -> None:
    scope = scope_of(actor)
    if not scope.can_write:
        raise Forbidden("read_only", "当前账号或令牌为只读，不能修改数据")
    if not scope.covers(region_code):
        raise Forbidden("org_forbidden", "无权在该区划登记组织：超出您的管理范围")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _clean(values: dict[str, Any], *, actor: Any, instance: Organisation | None) -> list[str]:
    """Normalise `values` in place; return the Chinese errors found (all of them)."""
    errors: list[str] = []
    if "name" in values:
        values["name"] = _text(values["name"])
        if not values["name"]:
            errors.append("组织名称不能为空")
        elif len(values["name"]) > 150:
            errors.append("组织名称不能超过150字")
    kind = values.get("kind", instance.kind if instance else "")
    if "kind" in values and kind not in Organisation.Kind.values:
        errors.append(f"组织类型“{kind}”无效")
    party_level = _text(values.get("party_level", instance.party_level if instance else ""))
    if "party_level" in values:
        values["party_level"] = party_level
    if kind == Organisation.Kind.PARTY:
        if not party_level:
            errors.append("党组织须填写层级（社区党组织、网格党支部或楼栋党小组）")
        elif party_level not in Organisation.PartyLevel.values:
            errors.append(f"党组织层级“{party_level}”无效")
    elif party_level:
        if "party_level" in values:
            errors.append("只有党组织填写党组织层级")
        else:  # the kind changed away from party: the level goes with it
            values["party_level"] = ""
    if "credit_code" in values:
        code = _text(values["credit_code"]).upper()
        values["credit_code"] = code
        if code and (error := credit_code_error(code)):
            errors.append(error)
    if "contact_phone" in values:
        phone = normalize_phone(_text(values["contact_phone"]))
        values["contact_phone"] = phone
        if phone and not is_valid_phone(phone):
            errors.append("联系电话应为 11 位手机号")
    if "contact_name" in values:
        values["contact_name"] = _text(values["contact_name"])
        if len(values["contact_name"]) > 50:
            errors.append("联系人不能超过50字")
    founded_on = values.get("founded_on")
    if founded_on is not None and founded_on > date.today():
        errors.append("成立日期不能晚于今天")
    if "parent" in values and values["parent"] is not None:
        parent = values["parent"]
        if not Organisation.objects.visible_to(actor).filter(pk=parent.pk).exists():
            errors.append("上级组织不存在或不在您的管理范围内")
        elif instance is not None and _is_self_or_descendant(parent, instance):
            errors.append("上级组织不能是本组织或其下级组织")
        elif kind == Organisation.Kind.PARTY and parent.kind != Organisation.Kind.PARTY:
            errors.append("党组织的上级组织应为党组织")
    return errors


def _is_self_or_descendant(candidate: Organisation, org: Organisation) -> bool:
    """Is `candidate` the organisation itself or below it (a parent cycle)?"""
    seen: set[int] = set()
    node: Organisation | None = candidate
    while node is not None and node.pk not in seen:
        if node.pk == org.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise ValidationFailed("org_invalid", "；".join(errors), detail={"errors": errors})


def _unique_name_conflict(region: Region, kind: str, name: str) -> Conflict:
    return Conflict(
        "org_exists",
        f"{region.name}已有同名的{Organisation.Kind(kind).label}“{name}”",
    )


@transaction.atomic
def organisation_create(
    *,
    actor: Any,
    region: Region,
    name: str,
    kind: str,
    party_level: str = "",
    parent: Organisation | None = None,
    credit_code: str = "",
    is_regular_service: bool = False,
    is_brand: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    founded_on: date | None = None,
    is_active: bool = True,
) -> Organisation:
    """Register an organisation in `region` (403 outside the write scope, 409 same name and
    kind in the region, 422 invalid: credit code checksum, party level, parent)."""
    _require_write(actor, region.code)
    values: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "party_level": party_level,
        "parent": parent,
        "credit_code": credit_code,
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "founded_on": founded_on,
    }
    errors = _clean(values, actor=actor, instance=None)
    if region.level not in ORG_REGION_LEVELS:
        errors.append("所在区划无效")
    _raise_if(errors)
    if Organisation.objects.filter(region=region, kind=kind, name=values["name"]).exists():
        raise _unique_name_conflict(region, kind, values["name"])
    organisation = Organisation(
        region=region,
        is_regular_service=is_regular_service,
        is_brand=is_brand,
        is_active=is_active,
        **values,
    )
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as exc:
        raise _unique_name_conflict(region, kind, values["name"]) from exc
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: Any, organisation: Organisation, data: Mapping[str, Any]
) -> Organisation:
    """Change the fields in `data` (keys of UPDATABLE_FIELDS; `parent` is an Organisation or
    None). The region never changes. 404 unseen, 403 read-only, 409 name clash, 422 invalid."""
    org = (
        Organisation.objects.visible_to(actor)
        .select_for_update()
        .filter(pk=organisation.pk)
        .first()
    )
    if org is None:
        raise NotFound("org_not_found", "未找到该组织，或您无权查看")
    _require_write(actor, org.region_code)
    unknown = sorted(set(data) - set(UPDATABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            "org_immutable",
            f"不能修改这些字段：{'、'.join(unknown)}（所在区划登记后不能修改）",
            detail={"fields": unknown},
        )
    values = dict(data)
    _raise_if(_clean(values, actor=actor, instance=org))
    changed = [k for k, v in values.items() if getattr(org, k) != v]
    if not changed:
        return org
    for key in changed:
        setattr(org, key, values[key])
    if {"name", "kind"} & set(changed) and Organisation.objects.filter(
        region_id=org.region_id, kind=org.kind, name=org.name
    ).exclude(pk=org.pk).exists():
        raise _unique_name_conflict(org.region, org.kind, org.name)
    org.save(update_fields=[*changed, "updated_at"])
    return org


# --- members --------------------------------------------------------------------------------


@transaction.atomic
def membership_add(
    *,
    actor: Any,
    organisation: Organisation,
    name: str = "",
    role: str = Membership.Role.MEMBER,
    resident: Any = None,
    user: Any = None,
    joined_on: date | None = None,
) -> Membership:
    """Add a person to an organisation. With a `resident` (people.Resident, visible to the
    actor) the name defaults to the resident's; the same resident is added only once."""
    org = Organisation.objects.visible_to(actor).filter(pk=organisation.pk).first()
    if org is None:
        raise NotFound("org_not_found", "未找到该组织，或您无权查看")
    _require_write(actor, org.region_code)
    errors: list[str] = []
    if resident is not None:
        from linli.people.models import Resident  # registry app: read through its model

        if not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists():
            errors.append("居民不存在或不在您的管理范围内")
        name = _text(name) or resident.name
    if user is not None:
        from linli.accounts.models import User

        if not User.objects.visible_to(actor).filter(pk=user.pk).exists():
            errors.append("账号不存在或不在您的管理范围内")
    name = _text(name)
    if not name:
        errors.append("成员姓名不能为空")
    elif len(name) > 50:
        errors.append("成员姓名不能超过50字")
    if role not in Membership.Role.values:
        errors.append(f"职务“{role}”无效")
    if joined_on is not None and joined_on > date.today():
        errors.append("加入日期不能晚于今天")
    _raise_if(errors)
    if resident is not None and org.memberships.filter(resident=resident).exists():
        raise Conflict("member_exists", f"{name}已是该组织成员")
    membership = Membership(
        organisation=org,
        region_id=org.region_id,
        region_code=org.region_code,
        resident=resident,
        user=user,
        name=name,
        role=role,
        joined_on=joined_on,
    )
    membership.save()
    return membership


@transaction.atomic
def membership_remove(*, actor: Any, membership: Membership) -> None:
    """Remove a member (404 unseen, 403 read-only); the audit log keeps the record."""
    row = Membership.objects.visible_to(actor).filter(pk=membership.pk).first()
    if row is None:
        raise NotFound("member_not_found", "未找到该成员，或您无权查看")
    _require_write(actor, row.region_code)
    row.delete()
