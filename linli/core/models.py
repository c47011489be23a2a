"""Shared kernel models: timestamps, region-scoped rows, the audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.core.scoping import scope_of, starts_with


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to what a principal may see."""

    def visible_to(self, principal: Any) -> ScopedQuerySet:
        scope = scope_of(principal)
        if scope.is_global:
            return self
        if not scope.prefixes:
            return self.none()
        field = self.model.scope_field  # type: ignore[attr-defined]
        condition = Q()
        for prefix in scope.prefixes:
            condition |= starts_with(field, prefix)  # a range: SQLite's LIKE scans
        narrowed = self.filter(condition)
        # A scope through a relation (users via their roles) may match a row several times.
        return narrowed.distinct() if "__" in field else narrowed


class RegionScopedModel(TimeStampedModel):
    """A row that belongs to one region; visibility is a prefix test on `region_code`.

    Subclasses declare `region = ForeignKey(Region)`; `region_code` is a copy of its code,
    so that scoping is one indexed prefix test with no join. save() keeps the copy in step
    (an invariant of the row, not a business rule); bulk writes must set it themselves.
    """

    scope_field: ClassVar[str] = "region_code"

    region_code = models.CharField("区划代码", max_length=15, db_index=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        region = getattr(self, "region", None)
        if region is not None:
            self.region_code = region.code
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "region" in update_fields:
                kwargs["update_fields"] = {*update_fields, "region_code"}
        super().save(*args, **kwargs)


class PiiReveal(models.Model):
    """A record of one full PII value shown to a person: who, whose, what, why, when."""

    scope_field: ClassVar[str] = "region_code"

    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="查看人", on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("查看人名称", max_length=150)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    model_label = models.CharField("对象类型", max_length=100)
    object_pk = models.CharField("对象主键", max_length=64, db_index=True)
    object_repr = models.CharField("对象", max_length=200)
    field_name = models.CharField("字段", max_length=50)
    reason = models.CharField("原因", max_length=200)
    region_code = models.CharField("区划代码", max_length=15, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "敏感信息查看记录"
        verbose_name_plural = "敏感信息查看记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_label} 查看 {self.object_repr} 的 {self.field_name}"


class AuditEntry(models.Model):
    """One recorded change: who changed what, from where, before and after (PII masked)."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        REVEAL = "reveal", _("查看敏感信息")
        LOGIN = "login", _("登录")

    scope_field: ClassVar[str] = "region_code"

    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("操作人名称", max_length=150, blank=True)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    model_label = models.CharField("对象类型", max_length=100, db_index=True)
    object_pk = models.CharField("对象主键", max_length=64, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    region_code = models.CharField("区划代码", max_length=15, blank=True, db_index=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.get_action_display()} {self.model_label}#{self.object_pk}"
