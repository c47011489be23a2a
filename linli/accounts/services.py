"""Writes for accounts: users, roles, API tokens, residents' one-time codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from linli.accounts.models import (
    ROLE_LEVELS,
    STAFF_ROLES,
    ApiToken,
    PhoneCode,
    Role,
    RoleAssignment,
    User,
)
from linli.accounts.sms import sms_send
from linli.accounts.tokens import token_digest, token_generate
from linli.core.errors import ApplicationError, Forbidden, ValidationFailed
from linli.core.pii import blind_index, is_valid_phone, normalize_phone
from linli.core.scoping import scope_of
from linli.regions.models import Region


def _require_admin_over(actor: User, region: Region) -> None:
    """Only county admins (or superusers) manage accounts, and only inside their region."""
    scope = scope_of(actor)
    if not (actor.is_superuser or actor.has_role(Role.COUNTY_ADMIN)):
        raise Forbidden("not_admin", "只有县级管理员可以管理账号和角色")
    if not scope.covers(region.code):
        raise Forbidden("out_of_scope", "不能管理本辖区以外的账号")


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    display_name: str,
    password: str | None = None,
    phone: str = "",
    role: str,
    region: Region,
    department: str = "",
) -> User:
    _require_admin_over(actor, region)
    username = username.strip()
    if not username:
        raise ValidationFailed("username_required", "请填写用户名")
    if User.objects.filter(username=username).exists():
        raise ValidationFailed("username_taken", f"用户名“{username}”已被使用")
    phone = normalize_phone(phone)
    if phone:
        if not is_valid_phone(phone):
            raise ValidationFailed("phone_invalid", "手机号格式不正确，应为 11 位中国大陆手机号")
        if User.objects.filter(phone_hash=blind_index(phone)).exists():
            raise ValidationFailed("phone_taken", "该手机号已绑定其他账号")
    user = User(username=username, display_name=display_name.strip(), phone=phone)
    user.phone_hash = blind_index(phone)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    role_assign(actor=actor, user=user, role=role, region=region, department=department)
    return user


@transaction.atomic
def role_assign(
    *, actor: User, user: User, role: str, region: Region, department: str = ""
) -> RoleAssignment:
    _require_admin_over(actor, region)
    if role not in Role.values:
        raise ValidationFailed("role_unknown", "未知的角色")
    if region.level not in ROLE_LEVELS[role]:
        levels = "、".join(str(Region.Level(level).label) for level in ROLE_LEVELS[role])
        raise ValidationFailed("role_level", f"“{Role(role).label}”只能在以下层级任职：{levels}")
    if role == Role.DEPARTMENT_HANDLER and not department.strip():
        raise ValidationFailed("department_required", "部门处置人员需要填写所属部门")
    assignment, _ = RoleAssignment.objects.update_or_create(
        user=user,
        role=role,
        region=region,
        defaults={"region_code": region.code, "department": department.strip(), "is_active": True},
    )
    _staff_flag_sync(user)
    return assignment


def _staff_flag_sync(user: User) -> None:
    """The Django admin is for county admins and town staff: is_staff follows the roles."""
    if user.is_superuser:
        return
    is_staff = user.roles.filter(
        is_active=True, role__in=[Role.COUNTY_ADMIN, Role.TOWN_STAFF]
    ).exists()
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


@transaction.atomic
def role_revoke(*, actor: User, assignment_id: int) -> None:
    assignment = (
        RoleAssignment.objects.visible_to(actor)
        .select_for_update()
        .select_related("region")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise ApplicationError("not_found", "未找到该角色分配", status=404)
    _require_admin_over(actor, assignment.region)
    assignment.is_active = False
    assignment.save()
    _staff_flag_sync(assignment.user)


@transaction.atomic
def user_set_active(*, actor: User, user: User, is_active: bool) -> User:
    regions = [r.region for r in user.roles.select_related("region")]
    if not regions and not actor.is_superuser:
        raise Forbidden("not_admin", "只有平台超级管理员可以管理未分配角色的账号")
    for region in regions:
        _require_admin_over(actor, region)
    if user.pk == actor.pk and not is_active:
        raise ValidationFailed("self_disable", "不能停用自己的账号")
    user.is_active = is_active
    user.save()
    return user


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    name: str,
    region: Region,
    can_write: bool,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; the raw key is returned once and never stored."""
    _require_admin_over(actor, region)
    if not name.strip():
        raise ValidationFailed("name_required", "请填写令牌名称")
    raw = token_generate()
    token = ApiToken.objects.create(
        name=name.strip(),
        key_prefix=raw[:12],
        key_hash=token_digest(raw),
        region=region,
        region_code=region.code,
        can_write=can_write,
        created_by=actor,
        expires_at=expires_at,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.visible_to(actor).select_for_update().filter(pk=token_id).first()
    if token is None:
        raise ApplicationError("not_found", "未找到该令牌", status=404)
    _require_admin_over(actor, token.region)
    token.revoked_at = timezone.now()
    token.save()
    return token


def _code_digest(phone_hash: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone_hash}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def phone_code_send(*, phone: str) -> None:
    """Send a 6-digit login code to a registered resident's phone, rate-limited."""
    phone = normalize_phone(phone)
    if not is_valid_phone(phone):
        raise ValidationFailed("phone_invalid", "手机号格式不正确，应为 11 位中国大陆手机号")
    phone_hash = blind_index(phone)
    if not _residents_with(phone_hash).exists():
        # Staff log in with a password (and its lock-out); codes are for residents only.
        raise ValidationFailed(
            "phone_unknown", "该手机号尚未开通居民账号，请联系所在社区工作人员登记"
        )
    now = timezone.now()
    recent = PhoneCode.objects.filter(
        phone_hash=phone_hash, created_at__gte=now - timedelta(hours=1)
    )
    last = recent.order_by("-created_at").first()
    if last and (now - last.created_at).total_seconds() < settings.PHONE_CODE_MIN_INTERVAL_SECONDS:
        raise ApplicationError("code_too_soon", "验证码发送过于频繁，请 1 分钟后再试", status=429)
    if recent.count() >= settings.PHONE_CODE_MAX_PER_HOUR:
        raise ApplicationError(
            "code_hourly_limit", "验证码发送次数过多，请 1 小时后再试", status=429
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    PhoneCode.objects.create(
        phone_hash=phone_hash,
        code_hash=_code_digest(phone_hash, code),
        expires_at=now + timedelta(seconds=settings.PHONE_CODE_TTL_SECONDS),
    )
    minutes = settings.PHONE_CODE_TTL_SECONDS // 60
    sms_send(
        phone=phone,
        message=f"【邻里】您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。",
    )


@transaction.atomic
def phone_code_verify(*, phone: str, code: str) -> User | None:
    """The resident for a valid, unexpired, unused code; each code is tried a few times at most."""
    phone_hash = blind_index(normalize_phone(phone))
    now = timezone.now()
    pending = (
        PhoneCode.objects.select_for_update()
        .filter(phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if pending is None or pending.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
        return None
    if not hmac.compare_digest(pending.code_hash, _code_digest(phone_hash, code.strip())):
        pending.attempts += 1
        pending.save(update_fields=["attempts"])
        return None
    pending.used_at = now
    pending.save(update_fields=["used_at"])
    return _residents_with(phone_hash).first()


def _residents_with(phone_hash: str) -> QuerySet[User]:
    """Active resident accounts with this phone that hold no staff role."""
    return (
        User.objects.filter(
            phone_hash=phone_hash,
            is_active=True,
            is_staff=False,
            is_superuser=False,
            roles__role=Role.RESIDENT,
            roles__is_active=True,
        )
        .exclude(roles__role__in=list(STAFF_ROLES), roles__is_active=True)
        .distinct()
    )
