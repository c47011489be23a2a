"""The region tree: county → town/street → community (社区/村) → grid (网格)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import RegionScopedModel, ScopedQuerySet, TimeStampedModel
from linli.core.scoping import region_prefix


class Region(TimeStampedModel):
    """A node of the tree, keyed by its 统计用区划代码 (12 digits; grids 15)."""

    class Level(models.TextChoices):
        COUNTY = "county", _("县")
        TOWN = "town", _("镇/街道")
        COMMUNITY = "community", _("社区/村")
        GRID = "grid", _("网格")

    class UrbanRural(models.TextChoices):
        U111 = "111", _("111 主城区")
        U112 = "112", _("112 城乡结合区")
        U121 = "121", _("121 镇中心区")
        U122 = "122", _("122 镇乡结合区")
        U123 = "123", _("123 特殊区域")
        R210 = "210", _("210 乡中心区")
        R220 = "220", _("220 村庄")

    CODE_LENGTH: ClassVar[dict[str, int]] = {"county": 12, "town": 12, "community": 12, "grid": 15}
    CHILD_LEVEL: ClassVar[dict[str, str]] = {
        "county": "town",
        "town": "community",
        "community": "grid",
    }

    scope_field: ClassVar[str] = "code"

    code = models.CharField("区划代码", max_length=15, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    urban_rural_code = models.CharField(
        "城乡分类代码", max_length=3, choices=UrbanRural.choices, blank=True
    )
    boundary = models.JSONField("边界 (GeoJSON)", null=True, blank=True)
    center_lng = models.FloatField("中心经度", null=True, blank=True)
    center_lat = models.FloatField("中心纬度", null=True, blank=True)
    population = models.PositiveIntegerField("人口", null=True, blank=True)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    is_illustrative = models.BooleanField(
        "示意代码", default=False, help_text="演示数据：县以下代码为示意，并非官方代码"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "区划"
        verbose_name_plural = "区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="county", parent__isnull=True)
                | models.Q(parent__isnull=False),
                name="region_parent_required_below_county",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return region_prefix(self.code, self.level)

    @property
    def is_urban(self) -> bool:
        return self.urban_rural_code.startswith("1")

    @property
    def is_rural(self) -> bool:
        return self.urban_rural_code.startswith("2")

    @property
    def kind_label(self) -> str:
        if self.level != self.Level.COMMUNITY:
            return self.get_level_display()
        return str(_("社区") if self.is_urban else _("村"))


class Building(RegionScopedModel):
    """A building in a grid or community: where households live and facilities stand."""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅")
        PUBLIC = "public", _("公共建筑")
        COMMERCIAL = "commercial", _("商业")
        MIXED = "mixed", _("商住混合")
        OTHER = "other", _("其他")

    region = models.ForeignKey(
        Region, verbose_name="所在网格/社区", on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField("楼栋名称", max_length=100, help_text="如 3栋、张家村12号")
    address = models.CharField("地址", max_length=200)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.RESIDENTIAL)
    floors = models.PositiveSmallIntegerField("层数", null=True, blank=True)
    units = models.PositiveSmallIntegerField("单元数", null=True, blank=True)
    lng = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)

    class Meta:
        verbose_name = "楼栋"
        verbose_name_plural = "楼栋"
        ordering = ["region_code", "address"]
        constraints = [
            models.UniqueConstraint(fields=["region", "address"], name="building_unique_address"),
        ]

    def __str__(self) -> str:
        return self.address
