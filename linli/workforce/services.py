"""Writes to the workforce registry: workers, their posts, certificates and trainings.

A worker may hold several posts at once (书记 + 主任 = 一肩挑); a post is ended, never
deleted, so history and the 一肩挑 ratio over time stay derivable. Every service checks the
actor's write scope; bad input raises ValidationFailed with every problem found.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.pii import blind_index, is_valid_phone, normalize_phone
from linli.core.scoping import scope_of
from linli.regions.models import Region
from linli.workforce.models import Certificate, Position, Training, Worker

WORKER_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "phone",
    "education",
    "employed_since",
    "resident",
    "user",
    "is_active",
)
POSITION_REGION_LEVELS = ("town", "community", "grid")
MAX_TRAINING_DAYS = Decimal(365)


def _require_write(actor: Any, region_code: str) -> None:
    scope = scope_of(actor)
    if not scope.can_write:
        raise Forbidden("read_only", "当前账号或令牌为只读，不能修改数据")
    if not scope.covers(region_code):
        raise Forbidden("workforce_forbidden", "无权操作该区划的工作者：超出您的管理范围")


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise ValidationFailed("workforce_invalid", "；".join(errors), detail={"errors": errors})


def _visible_worker(actor: Any, worker: Worker, *, lock: bool = False) -> Worker:
    rows = Worker.objects.visible_to(actor)
    if lock:
        rows = rows.select_for_update()
    row = rows.filter(pk=worker.pk).first()
    if row is None:
        raise NotFound("worker_not_found", "未找到该工作者，或您无权查看")
    _require_write(actor, row.region_code)
    return row


def _clean_worker(values: dict[str, Any], *, actor: Any, instance: Worker | None) -> list[str]:
    errors: list[str] = []
    today = timezone.localdate()
    if "name" in values:
        values["name"] = str(values["name"] or "").strip()
        if not values["name"]:
            errors.append("姓名不能为空")
        elif len(values["name"]) > 50:
            errors.append("姓名不能超过50字")
    if "gender" in values:
        values["gender"] = values["gender"] or ""
        if values["gender"] and values["gender"] not in Worker.Gender.values:
            errors.append("性别无效")
    if "education" in values:
        values["education"] = values["education"] or ""
        if values["education"] and values["education"] not in Worker.Education.values:
            errors.append("学历无效")
    birth_date = values.get("birth_date")
    if birth_date is not None and not (date(1930, 1, 1) <= birth_date <= today):
        errors.append("出生日期无效")
    employed_since = values.get("employed_since")
    if employed_since is not None and employed_since > today:
        errors.append("入职日期不能晚于今天")
    if "phone" in values:
        phone = normalize_phone(str(values["phone"] or ""))
        values["phone"] = phone
        values["phone_hash"] = blind_index(phone)
        if phone and not is_valid_phone(phone):
            errors.append("手机号应为 11 位手机号码")
    resident = values.get("resident")
    if resident is not None:
        from linli.people.models import Resident

        if not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists():
            errors.append("居民档案不存在或不在您的管理范围内")
    user = values.get("user")
    if user is not None:
        from linli.accounts.models import User

        if not User.objects.visible_to(actor).filter(pk=user.pk).exists():
            errors.append("账号不存在或不在您的管理范围内")
        elif (
            Worker.objects.filter(user=user)
            .exclude(pk=instance.pk if instance is not None else -1)
            .exists()
        ):
            errors.append("该账号已关联其他工作者")
    return errors


@transaction.atomic
def worker_create(
    *,
    actor: Any,
    region: Region,
    name: str,
    gender: str = "",
    birth_date: date | None = None,
    phone: str = "",
    education: str = "",
    employed_since: date | None = None,
    resident: Any = None,
    user: Any = None,
    is_active: bool = True,
) -> Worker:
    """Register a worker at `region` (a community, grid or town). The link to a resident's
    record and to a login account are optional and must be in the actor's scope."""
    _require_write(actor, region.code)
    values: dict[str, Any] = {
        "name": name,
        "gender": gender,
        "birth_date": birth_date,
        "phone": phone,
        "education": education,
        "employed_since": employed_since,
        "resident": resident,
        "user": user,
    }
    errors = _clean_worker(values, actor=actor, instance=None)
    if region.level not in POSITION_REGION_LEVELS:
        errors.append("工作者应登记在镇（街道）、社区（村）或网格")
    _raise_if(errors)
    worker = Worker(region=region, is_active=is_active, **values)
    try:
        with transaction.atomic():
            worker.save()
    except IntegrityError as exc:
        raise Conflict("worker_user_taken", "该账号已关联其他工作者") from exc
    return worker


@transaction.atomic
def worker_update(*, actor: Any, worker: Worker, data: Mapping[str, Any]) -> Worker:
    """Change the fields in `data` (WORKER_FIELDS); the region never changes."""
    row = _visible_worker(actor, worker, lock=True)
    unknown = sorted(set(data) - set(WORKER_FIELDS))
    if unknown:
        raise ValidationFailed(
            "worker_immutable",
            f"不能修改这些字段：{'、'.join(unknown)}（所在区划登记后不能修改）",
            detail={"fields": unknown},
        )
    values = dict(data)
    _raise_if(_clean_worker(values, actor=actor, instance=row))
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for key in changed:
        setattr(row, key, values[key])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    return row


# --- posts ----------------------------------------------------------------------------------


@transaction.atomic
def position_assign(
    *,
    actor: Any,
    worker: Worker,
    kind: str,
    region: Region | None = None,
    started_on: date | None = None,
) -> Position:
    """Give a worker a post at `region` (default: the worker's region). A worker may hold
    several posts; the same post twice at once, or a second 书记/主任 in a community, is a
    Conflict (end the current holder's post first)."""
    row = _visible_worker(actor, worker, lock=True)
    region = region or row.region
    _require_write(actor, region.code)
    errors = []
    if kind not in Position.Kind.values:
        errors.append(f"岗位“{kind}”无效")
    if region.level not in POSITION_REGION_LEVELS:
        errors.append("岗位应设在镇（街道）、社区（村）或网格")
    if started_on is not None and started_on > timezone.localdate():
        errors.append("任职日期不能晚于今天")
    _raise_if(errors)
    open_posts = Position.objects.select_for_update().filter(
        region=region, kind=kind, ended_on__isnull=True
    )
    if open_posts.filter(worker=row).exists():
        raise Conflict(
            "position_held", f"{row.name}已在{region.name}担任{Position.Kind(kind).label}"
        )
    if kind in Position.LEADER_KINDS:
        holder = open_posts.select_related("worker").first()
        if holder is not None:
            raise Conflict(
                "position_taken",
                f"{region.name}的{Position.Kind(kind).label}目前由{holder.worker.name}担任，"
                "请先办理其离任",
            )
    position = Position(worker=row, region=region, kind=kind, started_on=started_on)
    try:
        with transaction.atomic():
            position.save()
    except IntegrityError as exc:
        raise Conflict("position_taken", "该岗位已有在任人员，请刷新后重试") from exc
    return position


@transaction.atomic
def position_end(*, actor: Any, position: Position, ended_on: date | None = None) -> Position:
    """End a post on `ended_on` (default today); the record stays for history."""
    row = Position.objects.visible_to(actor).select_for_update().filter(pk=position.pk).first()
    if row is None:
        raise NotFound("position_not_found", "未找到该岗位记录，或您无权查看")
    _require_write(actor, row.region_code)
    if row.ended_on is not None:
        raise Conflict("position_ended", "该岗位已离任")
    ended_on = ended_on or timezone.localdate()
    if row.started_on is not None and ended_on < row.started_on:
        raise ValidationFailed("workforce_invalid", "离任日期不能早于任职日期")
    row.ended_on = ended_on
    row.save(update_fields=["ended_on", "updated_at"])
    return row


# --- certificates and trainings -------------------------------------------------------------


@transaction.atomic
def certificate_add(
    *,
    actor: Any,
    worker: Worker,
    kind: str,
    issued_on: date,
    number: str = "",
    expires_on: date | None = None,
) -> Certificate:
    row = _visible_worker(actor, worker)
    errors = []
    if kind not in Certificate.Kind.values:
        errors.append(f"证书类型“{kind}”无效")
    if issued_on is None:
        errors.append("请填写取得日期")
    elif issued_on > timezone.localdate():
        errors.append("取得日期不能晚于今天")
    elif expires_on is not None and expires_on < issued_on:
        errors.append("有效期不能早于取得日期")
    number = str(number or "").strip()
    if len(number) > 50:
        errors.append("证书编号不能超过50字")
    _raise_if(errors)
    if number and row.certificates.filter(kind=kind, number=number).exists():
        raise Conflict("certificate_exists", f"证书 {number} 已登记")
    certificate = Certificate(
        worker=row,
        region_id=row.region_id,
        region_code=row.region_code,
        kind=kind,
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    certificate.save()
    return certificate


def _days(value: Any) -> tuple[Decimal | None, str | None]:
    try:
        days = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        return None, "培训天数应为数字"
    if not days.is_finite() or days <= 0:
        return None, "培训天数应大于 0"
    if days > MAX_TRAINING_DAYS:
        return None, "培训天数不能超过 365 天"
    if (days * 2) % 1 != 0:
        return None, "培训天数以半天为单位，如 0.5、1、3"
    return days.quantize(Decimal("0.1")), None


@transaction.atomic
def training_add(
    *,
    actor: Any,
    worker: Worker,
    course: str,
    days: Any,
    started_on: date,
    organiser: str = "",
    is_rotation: bool = False,
) -> Training:
    """Record a training (days > 0, in half days). `is_rotation` marks 集中轮训, which
    counts toward the leaders' ≥ 3 days a year (专栏4)."""
    row = _visible_worker(actor, worker)
    errors = []
    course = str(course or "").strip()
    if not course:
        errors.append("培训课程不能为空")
    elif len(course) > 150:
        errors.append("培训课程不能超过150字")
    parsed_days, error = _days(days)
    if error:
        errors.append(error)
    if started_on is None:
        errors.append("请填写培训日期")
    elif started_on > timezone.localdate():
        errors.append("培训日期不能晚于今天")
    organiser = str(organiser or "").strip()
    if len(organiser) > 100:
        errors.append("主办单位不能超过100字")
    _raise_if(errors)
    assert parsed_days is not None  # _days() gave an error otherwise
    training = Training(
        worker=row,
        region_id=row.region_id,
        region_code=row.region_code,
        course=course,
        days=parsed_days,
        started_on=started_on,
        organiser=organiser,
        is_rotation=is_rotation,
    )
    training.save()
    return training
