"""Users, the roles they hold at a region, API tokens, and residents' one-time codes."""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import ScopedQuerySet, TimeStampedModel
from linli.core.pii import EncryptedTextField, mask_phone
from linli.core.scoping import Scope
from linli.regions.models import Region


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("县级管理员")
    LEADER = "leader", _("领导")
    TOWN_STAFF = "town_staff", _("镇街工作人员")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    GRID_WORKER = "grid_worker", _("网格员")
    DEPARTMENT_HANDLER = "department_handler", _("部门处置人员")
    RESIDENT = "resident", _("居民")


# The levels of the tree at which each role may be held.
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    Role.COUNTY_ADMIN: ("county",),
    Role.LEADER: ("county", "town"),
    Role.TOWN_STAFF: ("town",),
    Role.COMMUNITY_WORKER: ("community",),
    Role.GRID_WORKER: ("grid",),
    Role.DEPARTMENT_HANDLER: ("county", "town"),
    Role.RESIDENT: ("community", "grid"),
}
READ_ONLY_ROLES = {Role.LEADER}
# Residents see only their own records (cases, bookings), never a region's registry.
NON_REGIONAL_ROLES = {Role.RESIDENT}
STAFF_ROLES = set(Role) - NON_REGIONAL_ROLES


class LinliUserManager(UserManager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who logs in: staff by username and password, residents by phone and code."""

    scope_field: ClassVar[str] = "roles__region_code"

    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = EncryptedTextField("手机号", blank=True, default="")
    phone_hash = models.CharField("手机号索引", max_length=64, blank=True, db_index=True)

    objects = LinliUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @cached_property
    def active_roles(self) -> list[RoleAssignment]:
        return list(self.roles.filter(is_active=True).select_related("region"))

    @cached_property
    def linli_scope(self) -> Scope:
        if self.is_superuser:
            return Scope(is_global=True, can_write=True)
        staff_roles = [r for r in self.active_roles if r.role in STAFF_ROLES]
        writing = tuple(
            sorted({r.region.prefix for r in staff_roles if r.role not in READ_ONLY_ROLES})
        )
        return Scope(
            prefixes=tuple(sorted({r.region.prefix for r in staff_roles})),
            can_write=bool(writing),
            write_prefixes=writing,
        )

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.active_roles)

    @property
    def is_resident_only(self) -> bool:
        return bool(self.active_roles) and all(r.role == Role.RESIDENT for r in self.active_roles)


class RoleAssignment(TimeStampedModel):
    """A role held at a region (a town staff member sees that town and nothing else)."""

    scope_field: ClassVar[str] = "region_code"

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    region = models.ForeignKey(Region, verbose_name="所在区划", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=15, db_index=True)
    department = models.CharField(
        "部门", max_length=100, blank=True, help_text="部门处置人员所属部门，如 城管、应急、卫健"
    )
    is_active = models.BooleanField("有效", default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "角色分配"
        verbose_name_plural = "角色分配"
        ordering = ["region_code", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region"], name="role_assignment_unique_per_region"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region.name} · {self.get_role_display()}"


class ApiToken(TimeStampedModel):
    """A token for another system: scoped to a region, read-only or read-write, hashed at rest."""

    scope_field: ClassVar[str] = "region_code"

    name = models.CharField("名称", max_length=100)
    key_prefix = models.CharField("前缀", max_length=12, db_index=True)
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True)
    region = models.ForeignKey(Region, verbose_name="授权区划", on_delete=models.PROTECT)
    region_code = models.CharField("区划代码", max_length=15, db_index=True)
    can_write = models.BooleanField("允许写入", default=False)
    created_by = models.ForeignKey(
        User, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    is_authenticated = True  # lets scope_of() treat a token like a logged-in principal

    @property
    def linli_scope(self) -> Scope:
        return Scope(prefixes=(self.region.prefix,), can_write=self.can_write)


class PhoneCode(models.Model):
    """A one-time login code sent to a phone; only hashes are stored."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"code@{self.created_at:%Y-%m-%d %H:%M}"
