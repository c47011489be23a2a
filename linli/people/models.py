"""Households, residents and the special-group tags the plan's services need."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.db.models import F, Func
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from linli.core.models import RegionScopedModel
from linli.core.pii import EncryptedTextField, mask_id_number, mask_phone
from linli.regions.models import Building, Region


class NameFrom(Func):
    """`SUBSTR(name, k)` with k written into the SQL text: an index on an expression is used
    only for a query whose expression is the same text, and a bound parameter is not."""

    function = "SUBSTR"
    output_field = models.CharField()

    def __init__(self, position: int) -> None:
        self.position = int(position)
        super().__init__(F("name"))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        template = f"%(function)s(%(expressions)s, {self.position})"
        return super().as_sql(compiler, connection, template=template, **extra)


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("户籍")
    RESIDENT = "resident", _("常住")
    FLOATING = "floating", _("流动")


class Household(RegionScopedModel):
    """A household (户) at an address, usually in a building."""

    region = models.ForeignKey(
        Region,
        verbose_name="所在网格/社区",
        on_delete=models.PROTECT,
        related_name="households_set",
    )
    building = models.ForeignKey(
        Building,
        verbose_name="楼栋",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    number = models.CharField("户编号", max_length=40, help_text="社区内唯一的户编号")
    address = models.CharField("地址", max_length=200)
    residence_type = models.CharField(
        "户类型", max_length=20, choices=ResidenceType.choices, default=ResidenceType.REGISTERED
    )
    head = models.ForeignKey(
        "Resident",
        verbose_name="户主",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = EncryptedTextField("联系电话", blank=True, default="")
    phone_hash = models.CharField("联系电话索引", max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        ordering = ["region_code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="household_unique_number"),
        ]
        # Lists read households by region and number off the first index; a search by number
        # prefix is a range of the second; "address contains" uses a trigram index that lives
        # outside Django's model state (people.address_index, ADR 0025).
        indexes = [
            models.Index(
                fields=["region_code", "number", "id", "address"],
                name="household_region_number_addr",
            ),
            models.Index(fields=["number", "region_code", "id"], name="household_number_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.address}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class Resident(RegionScopedModel):
    """A person living in the county. ID number and phone are encrypted, found by blind index."""

    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        MOVED_OUT = "moved_out", _("迁出")
        DECEASED = "deceased", _("死亡")

    region = models.ForeignKey(
        Region, verbose_name="所在网格/社区", on_delete=models.PROTECT, related_name="residents"
    )
    household = models.ForeignKey(
        Household,
        verbose_name="户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation = models.CharField(
        "与户主关系", max_length=20, choices=Relation.choices, default=Relation.OTHER
    )
    # name, pinyin, initials and birth date are indexed by the composite indexes in Meta.
    name = models.CharField("姓名", max_length=50)
    name_pinyin = models.CharField("姓名拼音", max_length=200, editable=False)
    name_initials = models.CharField("姓名首字母", max_length=50, editable=False)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    id_number = EncryptedTextField("身份证号", blank=True, default="")
    id_number_hash = models.CharField("身份证号索引", max_length=64, blank=True, db_index=True)
    phone = EncryptedTextField("手机号", blank=True, default="")
    phone_hash = models.CharField("手机号索引", max_length=64, blank=True, db_index=True)
    residence_type = models.CharField(
        "居住类型", max_length=20, choices=ResidenceType.choices, default=ResidenceType.REGISTERED
    )
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering = ["region_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="resident_unique_id_number",
            ),
        ]
        # Each search reads one of these without touching the table (covering: the scope's
        # region_code and the status ride along), so a county-wide search stays fast (ADR 0023).
        # Each ends with the id, which SQLite keeps in every index anyway (the rowid) and
        # PostgreSQL needs there to answer from the index alone (ADR 0025).
        indexes = [
            models.Index(fields=["region_code", "birth_date", "id"], name="resident_region_birth"),
            models.Index(fields=["region_code", "name", "id"], name="resident_region_name"),
            models.Index(
                fields=["status", "region_code", "name", "id"], name="resident_status_region_name"
            ),
            models.Index(
                fields=["name", "region_code", "status", "id"], name="resident_name_cover"
            ),
            models.Index(
                fields=["name_pinyin", "region_code", "status", "id"], name="resident_pinyin_cover"
            ),
            models.Index(
                fields=["name_initials", "name_pinyin", "region_code", "status", "id"],
                name="resident_initials_cover",
            ),
            models.Index(
                fields=["birth_date", "region_code", "status", "id"], name="resident_birth_cover"
            ),
            # "Name contains" as prefix ranges: from the 2nd and 3rd character, and all names
            # of 4+ characters (ADR 0023); the database keeps these for every writer.
            models.Index(
                NameFrom(2),
                F("name"),
                F("region_code"),
                F("status"),
                F("id"),
                name="resident_name_from2",
            ),
            models.Index(
                NameFrom(3),
                F("name"),
                F("region_code"),
                F("status"),
                F("id"),
                name="resident_name_from3",
            ),
            models.Index(
                Length("name"),
                F("name"),
                F("region_code"),
                F("status"),
                F("id"),
                name="resident_name_long",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def age_on(self, day: date) -> int:
        """Age in whole years on `day` (derived, never stored)."""
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def age(self) -> int:
        from django.utils import timezone

        return self.age_on(timezone.localdate())

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number) if self.id_number else ""

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class Tag(models.TextChoices):
    """Special groups the plan's services are for (专栏5)."""

    ELDERLY_DIFFICULTY = "elderly_difficulty", _("特殊困难老年人")
    LIVING_ALONE = "living_alone", _("独居")
    EMPTY_NEST = "empty_nest", _("空巢")
    ADVANCED_AGE = "advanced_age", _("高龄")
    DISABLED_CARE = "disabled_care", _("失能/半失能")
    DISABILITY = "disability", _("残疾")
    DIBAO = "dibao", _("低保")
    TEKUN = "tekun", _("特困")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    CHILD_IN_DIFFICULTY = "child_in_difficulty", _("困境儿童")
    VETERAN = "veteran", _("退役军人")
    PARTY_MEMBER = "party_member", _("党员")
    FAMILY_WITH_INFANT = "family_with_infant", _("育龄/婴幼儿家庭")


class ResidentTag(RegionScopedModel):
    """One special-group tag of a resident (with disability kind and grade where it applies)."""

    class DisabilityKind(models.TextChoices):
        VISUAL = "visual", _("视力")
        HEARING = "hearing", _("听力")
        SPEECH = "speech", _("言语")
        PHYSICAL = "physical", _("肢体")
        INTELLECTUAL = "intellectual", _("智力")
        MENTAL = "mental", _("精神")
        MULTIPLE = "multiple", _("多重")

    resident = models.ForeignKey(
        Resident, verbose_name="居民", on_delete=models.CASCADE, related_name="tags"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    tag = models.CharField("标签", max_length=30, choices=Tag.choices, db_index=True)
    disability_kind = models.CharField(
        "残疾类别", max_length=20, choices=DisabilityKind.choices, blank=True
    )
    disability_grade = models.PositiveSmallIntegerField(
        "残疾等级", null=True, blank=True, help_text="一级（最重）至四级"
    )
    since = models.DateField("认定日期", null=True, blank=True)

    class Meta:
        verbose_name = "居民标签"
        verbose_name_plural = "居民标签"
        ordering = ["resident_id", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_unique"),
            models.CheckConstraint(
                condition=models.Q(disability_grade__isnull=True)
                | models.Q(disability_grade__gte=1, disability_grade__lte=4),
                name="resident_tag_disability_grade_1_4",
            ),
        ]
        # A tag search reads the tagged residents of a scope off this index (ADR 0023).
        indexes = [
            models.Index(fields=["tag", "region_code", "resident"], name="resident_tag_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_tag_display()}"


class ResidentMove(RegionScopedModel):
    """History: a resident moved from one household to another (rows are never changed)."""

    resident = models.ForeignKey(
        Resident, verbose_name="居民", on_delete=models.CASCADE, related_name="moves"
    )
    region = models.ForeignKey(
        Region, verbose_name="迁入区划", on_delete=models.PROTECT, related_name="+"
    )
    from_household = models.ForeignKey(
        Household,
        verbose_name="原户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_household = models.ForeignKey(
        Household,
        verbose_name="新户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_region_code = models.CharField("原区划代码", max_length=15, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)
    moved_on = models.DateField("迁移日期")

    class Meta:
        verbose_name = "居民迁移记录"
        verbose_name_plural = "居民迁移记录"
        ordering = ["-moved_on", "-id"]

    def __str__(self) -> str:
        return f"{self.resident} {self.moved_on}"
