"""Import and export jobs: one row per file a person (or a system) brought in or took out."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.models import RegionScopedModel
from linli.core.scoping import Scope
from linli.regions.models import Region


class Kind(models.TextChoices):
    """The registries that import and export as tables (in the order they should be imported)."""

    BUILDINGS = "buildings", pgettext_lazy("导入导出的数据类型", "楼栋")
    HOUSEHOLDS = "households", pgettext_lazy("导入导出的数据类型", "户")
    RESIDENTS = "residents", pgettext_lazy("导入导出的数据类型", "居民")
    ORGANISATIONS = "organisations", pgettext_lazy("导入导出的数据类型", "组织")
    MEMBERSHIPS = "memberships", pgettext_lazy("导入导出的数据类型", "组织成员")
    FACILITIES = "facilities", pgettext_lazy("导入导出的数据类型", "服务设施")
    WORKERS = "workers", pgettext_lazy("导入导出的数据类型", "社区工作者")
    CERTIFICATES = "certificates", pgettext_lazy("导入导出的数据类型", "职业资格证书")
    TRAININGS = "trainings", pgettext_lazy("导入导出的数据类型", "培训记录")


class ImportJob(RegionScopedModel):
    """One import or export run, with its progress and outcome.

    `region` is the root of the scope of whoever started it (their town, their community…):
    the job is visible to that region and above, like any scoped row. The scope the job acts
    with is kept as a snapshot (`scope_prefixes`, `scope_write_prefixes`, `scope_global`,
    `can_write`) because the
    worker runs it later, without the request, the region switcher or the API token.
    """

    class Operation(models.TextChoices):
        IMPORT = "import", _("导入")
        EXPORT = "export", _("导出")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        CSV = "csv", "CSV"

    FINISHED: ClassVar[tuple[str, ...]] = (Status.SUCCEEDED, Status.FAILED)

    region = models.ForeignKey(
        Region,
        verbose_name="发起人辖区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("发起人名称", max_length=150, blank=True)
    operation = models.CharField(
        "操作", max_length=10, choices=Operation.choices, default=Operation.IMPORT
    )
    kind = models.CharField("数据类型", max_length=20, choices=Kind.choices, db_index=True)
    file_format = models.CharField("文件格式", max_length=4, choices=Format.choices)
    filename = models.CharField("文件名", max_length=200)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    phase = models.CharField("阶段", max_length=20, blank=True)
    total = models.PositiveIntegerField("总行数", default=0)
    processed = models.PositiveIntegerField("已处理行数", default=0)
    message = models.CharField("结果", max_length=300, blank=True)
    report = models.JSONField("报告", default=dict, blank=True)
    scope_prefixes = models.JSONField("权限范围", default=list, blank=True)
    scope_write_prefixes = models.JSONField("可写范围", null=True, blank=True)
    scope_global = models.BooleanField("全平台权限", default=False)
    can_write = models.BooleanField("可写", default=False)
    via_token = models.BooleanField(
        "通过 API 令牌", default=False, help_text="令牌按其范围判断权限，用户按其角色判断"
    )
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入导出任务"
        verbose_name_plural = "导入导出任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "-created_at"], name="importjob_actor_recent")]

    def __str__(self) -> str:
        return f"{self.get_operation_display()}{self.get_kind_display()} {self.filename}"

    @property
    def scope(self) -> Scope:
        """The scope the job acts with (the snapshot taken when it was started)."""
        writes = self.scope_write_prefixes
        return Scope(
            prefixes=tuple(self.scope_prefixes),
            can_write=self.can_write,
            is_global=self.scope_global,
            write_prefixes=None if writes is None else tuple(writes),
        )

    @property
    def principal(self) -> Any:
        """Who the rules judge: the user who started the job (by their roles at run time),
        else the scope snapshot (an API token, or the platform itself)."""
        if self.actor is not None and not self.via_token:
            return self.actor
        return self.scope

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        """Overall progress: validating is the first half of an import, writing the second."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        done = min(self.processed, self.total) / self.total
        if self.operation == self.Operation.IMPORT:
            done = done / 2 + (0.5 if self.phase == "writing" else 0.0)
        return max(0, min(99, int(done * 100)))

    def counts(self) -> dict[str, Any]:
        return {k: self.report.get(k, 0) for k in ("created", "updated", "unchanged")}
