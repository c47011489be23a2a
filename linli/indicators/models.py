"""The evaluation system's data: indicator definitions, their targets, monthly snapshots.

Modelled on DHIS2: an indicator is numerator / denominator × factor over data elements
(here: the measures each app declares), evaluated over the org-unit hierarchy (the region
tree), against targets with deadlines, per period (month). Definitions are data: a county
edits them in pages or loads its own plan file.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.core.validators import RegexValidator
from django.db import models

from linli.core.models import RegionScopedModel, TimeStampedModel
from linli.regions.models import Region


class Operator(models.TextChoices):
    GTE = ">=", "≥"
    GT = ">", ">"
    LTE = "<=", "≤"
    LT = "<", "<"
    EQ = "==", "="


class Indicator(TimeStampedModel):
    """One indicator of the plan: how it is computed, for which communities, at which level."""

    class Kind(models.TextChoices):
        RATIO = "ratio", "比率（Σ分子/Σ分母×系数）"
        COVERAGE = "coverage", "覆盖率（达标单位数/单位总数）"
        SUM = "sum", "合计（Σ分子）"

    class AppliesTo(models.TextChoices):
        ALL = "all", "全部城乡社区"
        URBAN = "urban", "城市社区（城乡分类代码 1xx）"
        RURAL = "rural", "农村社区（城乡分类代码 2xx）"

    class Level(models.TextChoices):
        COMMUNITY = "community", "社区/村"
        TOWN = "town", "镇/街道"
        COUNTY = "county", "县"

    class Category(models.TextChoices):
        FACILITIES = "facilities", "服务设施"
        ORGS = "orgs", "社会力量"
        WORKFORCE = "workforce", "服务队伍"
        SERVICES = "services", "服务供给"
        SAFETY = "safety", "平安与应急"
        GOVERNANCE = "governance", "党建与治理"
        SMART = "smart", "智慧社区"

    code = models.CharField(
        "代码",
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9_]*$", "代码只能包含大写字母、数字和下划线")],
    )
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=30, blank=True)
    description = models.TextField("说明", blank=True)
    category = models.CharField(
        "类别", max_length=20, choices=Category.choices, default=Category.SERVICES
    )
    kind = models.CharField("计算方式", max_length=10, choices=Kind.choices)
    numerator = models.CharField(
        "分子度量", max_length=60, help_text="覆盖率指标：判断每个单位是否达标所用的度量"
    )
    denominator = models.CharField("分母度量", max_length=60, blank=True)
    factor = models.DecimalField(
        "系数",
        max_digits=10,
        decimal_places=2,
        default=1,
        help_text="1、100（百分比/每百户）、10000",
    )
    unit = models.CharField("单位", max_length=20, blank=True)
    decimals = models.PositiveSmallIntegerField("小数位数", default=1)
    applies_to = models.CharField(
        "适用社区", max_length=10, choices=AppliesTo.choices, default=AppliesTo.ALL
    )
    judged_at = models.CharField(
        "评估层级", max_length=10, choices=Level.choices, default=Level.COMMUNITY
    )
    unit_operator = models.CharField(
        "单位达标条件", max_length=2, choices=Operator.choices, default=Operator.GTE
    )
    unit_threshold = models.DecimalField(
        "单位达标阈值",
        max_digits=12,
        decimal_places=2,
        default=1,
        help_text="覆盖率指标：每个社区（或镇）的度量值满足该条件即计为达标，如 ≥ 12 个组织",
    )
    source = models.CharField("规划依据", max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "评估指标"
        verbose_name_plural = "评估指标"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="ratio") | ~models.Q(denominator=""),
                name="indicator_ratio_has_denominator",
            ),
            models.CheckConstraint(
                condition=models.Q(factor__gt=0), name="indicator_factor_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def measure_codes(self) -> list[str]:
        return [c for c in (self.numerator, self.denominator) if c]


class Target(TimeStampedModel):
    """A value an indicator must reach by a deadline, quoting the plan's clause."""

    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="targets"
    )
    operator = models.CharField("条件", max_length=2, choices=Operator.choices, default=">=")
    value = models.DecimalField("目标值", max_digits=12, decimal_places=2)
    deadline = models.DateField("期限", default=date(2025, 12, 31))
    source = models.CharField("规划条款", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "目标值"
        verbose_name_plural = "目标值"
        ordering = ["indicator_id", "deadline"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "deadline"], name="target_one_per_deadline"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.indicator.code} {self.get_operator_display()} {self.value}（{self.deadline}）"
        )


class IndicatorValue(RegionScopedModel):
    """A stored value: one indicator, one region, one month (a snapshot, as of its time)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="values"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField("统计月份", help_text="该月第一天")
    level = models.CharField("层级", max_length=10)
    value = models.FloatField("值", null=True, blank=True)
    numerator = models.FloatField("分子", null=True, blank=True)
    denominator = models.FloatField("分母", null=True, blank=True)
    status = models.CharField("状态", max_length=10)
    target_operator = models.CharField("目标条件", max_length=2, blank=True)
    target_value = models.FloatField("目标值", null=True, blank=True)

    scope_field: ClassVar[str] = "region_code"

    class Meta:
        verbose_name = "指标月度快照"
        verbose_name_plural = "指标月度快照"
        ordering = ["-period", "region_code", "indicator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "period"], name="indicator_value_unique"
            ),
        ]
        indexes = [models.Index(fields=["region_code", "period"], name="indicator_value_rp")]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.region_code} {self.indicator_id}: {self.value}"
