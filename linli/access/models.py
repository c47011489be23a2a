"""Living circles (生活圈): walking networks, the circles' definitions and stored results.

Per-building distances are stored as one compact layer per facility type (arrays of building
ids, distances and nearest facilities: ~12 bytes a building) rather than one row per building
and type (75 k buildings × 26 types would be two million rows to rewrite on every change);
what pages and indicators query by region is aggregated per community in `Coverage` rows
(ADR 0080).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import RegionScopedModel, ScopedQuerySet, TimeStampedModel
from linli.facilities.models import FacilityType
from linli.regions.models import Region

DEFAULT_WALK_SPEED_KMH = 4.0
DEFAULT_ELDERLY_SPEED_KMH = 3.0
DEFAULT_DETOUR_FACTOR = 1.3
DEFAULT_CUTOFF_M = 3000


class AccessSettings(TimeStampedModel):
    """A county's walking profile: speeds, the straight-line detour factor, the search cut-off."""

    county = models.OneToOneField(
        Region, verbose_name="县（区）", on_delete=models.CASCADE, related_name="access_settings"
    )
    walk_speed_kmh = models.FloatField("步行速度（km/h）", default=DEFAULT_WALK_SPEED_KMH)
    elderly_speed_kmh = models.FloatField(
        "老年人步行速度（km/h）", default=DEFAULT_ELDERLY_SPEED_KMH
    )
    detour_factor = models.FloatField("直线距离绕行系数", default=DEFAULT_DETOUR_FACTOR)
    cutoff_m = models.PositiveIntegerField("最远计算距离（米）", default=DEFAULT_CUTOFF_M)

    class Meta:
        verbose_name = "步行可达性参数"
        verbose_name_plural = "步行可达性参数"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(walk_speed_kmh__gt=0, elderly_speed_kmh__gt=0),
                name="access_settings_speeds_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(detour_factor__gte=1), name="access_settings_detour_ge_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county} 步行参数"


class WalkNetwork(TimeStampedModel):
    """One imported (or generated) walking network of a county; the active one is used."""

    class Source(models.TextChoices):
        OSM_PBF = "osm_pbf", "OpenStreetMap PBF"
        GEOJSON = "geojson", _("GeoJSON 线数据")
        GENERATED = "generated", _("演示生成")

    scope_field: ClassVar[str] = "county__code"

    county = models.ForeignKey(
        Region, verbose_name="县（区）", on_delete=models.CASCADE, related_name="walk_networks"
    )
    name = models.CharField("名称", max_length=100)
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    node_count = models.PositiveIntegerField("节点数")
    edge_count = models.PositiveIntegerField("路段数")
    total_length_km = models.FloatField("路网总长（公里）", default=0)
    data = models.BinaryField("路网数据")
    is_active = models.BooleanField("启用", default=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "步行路网"
        verbose_name_plural = "步行路网"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county"],
                condition=models.Q(is_active=True),
                name="access_one_active_network_per_county",
            )
        ]

    def __str__(self) -> str:
        return self.name


class LifeCircle(TimeStampedModel):
    """A circle of the plan (15 分钟生活圈, 5 分钟便民生活圈, 15 分钟健身圈) as data.

    A building is inside the circle when every requirement has a facility of one of its
    types within `distance_m` (each requirement is a kind of service: 卫生服务 is met by a
    clinic or a health centre).
    """

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=50)
    measure_code = models.SlugField(
        "指标数据项", max_length=60, unique=True, help_text="提供给评估体系的数据项代码"
    )
    minutes = models.PositiveSmallIntegerField("步行分钟")
    distance_m = models.PositiveIntegerField("步行距离（米）")
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "生活圈"
        verbose_name_plural = "生活圈"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class CircleRequirement(models.Model):
    """One kind of service a circle requires; any of its facility types satisfies it."""

    circle = models.ForeignKey(
        LifeCircle, verbose_name="生活圈", on_delete=models.CASCADE, related_name="requirements"
    )
    name = models.CharField("服务", max_length=50)
    facility_types = models.ManyToManyField(FacilityType, verbose_name="可满足的设施类型")

    class Meta:
        verbose_name = "生活圈配套要求"
        verbose_name_plural = "生活圈配套要求"
        ordering = ["circle", "id"]

    def __str__(self) -> str:
        return f"{self.circle.name}：{self.name}"


class AccessLayer(TimeStampedModel):
    """Walking distance from every residential building of a county to one facility type.

    `building_ids`, `distance_m` (float32, inf beyond the cut-off) and `facility_ids` (int64,
    0 when none within reach) are parallel little-endian arrays. `fingerprint` is a digest of
    what the layer was computed from (network, facilities of the type, buildings, settings):
    the refresh recomputes a layer only when its fingerprint changed.
    """

    scope_field: ClassVar[str] = "county__code"

    county = models.ForeignKey(
        Region, verbose_name="县（区）", on_delete=models.CASCADE, related_name="+"
    )
    facility_type = models.ForeignKey(
        FacilityType, verbose_name="设施类型", on_delete=models.CASCADE, related_name="+"
    )
    network = models.ForeignKey(
        WalkNetwork,
        verbose_name="路网",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approximate = models.BooleanField("直线估算", default=False)
    building_ids = models.BinaryField("楼栋")
    distance_m = models.BinaryField("步行距离")
    facility_ids = models.BinaryField("最近设施")
    fingerprint = models.CharField("计算依据摘要", max_length=64)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "步行距离图层"
        verbose_name_plural = "步行距离图层"
        constraints = [
            models.UniqueConstraint(
                fields=["county", "facility_type"], name="access_layer_county_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.facility_type}"


class Coverage(RegionScopedModel):
    """One community's coverage by one facility type or one circle (exactly one is set).

    `*_within` count people whose building is within the threshold at the standard speed;
    `elderly_outside_slow` counts residents aged 60+ outside it at the elderly speed.
    """

    region = models.ForeignKey(
        Region, verbose_name="社区/村", on_delete=models.CASCADE, related_name="+"
    )
    facility_type = models.ForeignKey(
        FacilityType,
        verbose_name="设施类型",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    circle = models.ForeignKey(
        LifeCircle,
        verbose_name="生活圈",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="coverages",
    )
    threshold_m = models.PositiveIntegerField("阈值（米）")
    approximate = models.BooleanField("直线估算", default=False)
    buildings = models.PositiveIntegerField("住宅楼栋数", default=0)
    population = models.PositiveIntegerField("人口", default=0)
    population_within = models.PositiveIntegerField("覆盖人口", default=0)
    households = models.PositiveIntegerField("户数", default=0)
    households_outside = models.PositiveIntegerField("未覆盖户数", default=0)
    elderly = models.PositiveIntegerField("60岁以上人口", default=0)
    elderly_outside = models.PositiveIntegerField("未覆盖老年人", default=0)
    elderly_outside_slow = models.PositiveIntegerField("按老年人步速未覆盖老年人", default=0)

    class Meta:
        verbose_name = "生活圈覆盖"
        verbose_name_plural = "生活圈覆盖"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(facility_type__isnull=False, circle__isnull=True)
                    | models.Q(facility_type__isnull=True, circle__isnull=False)
                ),
                name="access_coverage_type_xor_circle",
            ),
            models.UniqueConstraint(
                fields=["region", "facility_type"],
                condition=models.Q(facility_type__isnull=False),
                name="access_coverage_region_type",
            ),
            models.UniqueConstraint(
                fields=["region", "circle"],
                condition=models.Q(circle__isnull=False),
                name="access_coverage_region_circle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.facility_type or self.circle}"

    @property
    def share(self) -> float | None:
        return self.population_within / self.population if self.population else None


class AccessRun(TimeStampedModel):
    """One background job of the module (a network import or a recomputation), with progress."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("导入路网")
        REFRESH = "refresh", _("重新计算")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    scope_field: ClassVar[str] = "county__code"

    county = models.ForeignKey(
        Region, verbose_name="县（区）", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    upload_path = models.CharField("上传文件", max_length=300, blank=True)
    upload_name = models.CharField("文件名", max_length=200, blank=True)
    steps_done = models.PositiveIntegerField("已完成步骤", default=0)
    steps_total = models.PositiveIntegerField("总步骤", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "可达性计算任务"
        verbose_name_plural = "可达性计算任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_status_display()}"

    @property
    def percent(self) -> int:
        if not self.steps_total:
            return 0 if self.status != self.Status.DONE else 100
        return min(100, round(100 * self.steps_done / self.steps_total))
