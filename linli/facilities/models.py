"""Service facilities and their type catalogue (data, not code)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import RegionScopedModel, TimeStampedModel
from linli.regions.models import Building, Region


class FacilityType(TimeStampedModel):
    """A kind of facility (养老服务站, 卫生服务站, …), edited by county admins as data.

    `life_circle` and `walk_threshold_m` follow GB 50180-2018 (editable per county)."""

    class LifeCircle(models.TextChoices):
        NONE = "", _("不适用")
        MIN5 = "5", _("5分钟生活圈")
        MIN10 = "10", _("10分钟生活圈")
        MIN15 = "15", _("15分钟生活圈")

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=50, unique=True)
    category = models.CharField("类别", max_length=30, blank=True)
    description = models.TextField("说明", blank=True)
    life_circle = models.CharField(
        "生活圈层级", max_length=2, choices=LifeCircle.choices, blank=True, default=""
    )
    walk_threshold_m = models.PositiveIntegerField("步行距离阈值（米）", null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "设施类型"
        verbose_name_plural = "设施类型"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Facility(RegionScopedModel):
    class Status(models.TextChoices):
        OPERATING = "operating", _("运营中")
        BUILDING = "building", _("建设中")
        PLANNED = "planned", _("规划中")
        SUSPENDED = "suspended", _("暂停")
        CLOSED = "closed", _("已关闭")

    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="facilities"
    )
    type = models.ForeignKey(
        FacilityType, verbose_name="类型", on_delete=models.PROTECT, related_name="facilities"
    )
    name = models.CharField("名称", max_length=150)
    address = models.CharField("地址", max_length=200, blank=True)
    building = models.ForeignKey(
        Building,
        verbose_name="所在楼栋",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilities",
    )
    lng = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    building_area_m2 = models.DecimalField(
        "建筑面积（平方米）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    weekday_hours = models.CharField(
        "工作日开放时间", max_length=50, blank=True, help_text="如 08:30-17:30"
    )
    extended_evening = models.BooleanField("工作日延时开放", default=False)
    weekend_open = models.BooleanField("周末开放", default=False)
    operator = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="运营方",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="operated_facilities",
    )
    operator_name = models.CharField("运营方名称", max_length=150, blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.OPERATING, db_index=True
    )

    COUNTED_STATUSES: ClassVar[tuple[str, ...]] = (Status.OPERATING,)

    class Meta:
        verbose_name = "服务设施"
        verbose_name_plural = "服务设施"
        ordering = ["region_code", "type_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "type", "name"], name="facility_unique_name"),
            models.CheckConstraint(
                condition=models.Q(building_area_m2__isnull=True)
                | models.Q(building_area_m2__gte=0),
                name="facility_area_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name
