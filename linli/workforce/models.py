"""Community workers: positions (several at once, so 一肩挑 is derivable), certificates,
trainings."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import RegionScopedModel
from linli.core.pii import EncryptedTextField, mask_phone
from linli.regions.models import Region


class Worker(RegionScopedModel):
    class Education(models.TextChoices):
        JUNIOR = "junior", _("初中及以下")
        SENIOR = "senior", _("高中/中专")
        COLLEGE = "college", _("大专")
        BACHELOR = "bachelor", _("本科")
        POSTGRADUATE = "postgraduate", _("研究生")

    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="workers"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name="居民档案",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="worker_profiles",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="worker_profile",
    )
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    phone = EncryptedTextField("手机号", blank=True, default="")
    phone_hash = models.CharField("手机号索引", max_length=64, blank=True, db_index=True)
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    employed_since = models.DateField("入职日期", null=True, blank=True)
    is_active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "社区工作者"
        verbose_name_plural = "社区工作者"
        ordering = ["region_code", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class Position(RegionScopedModel):
    """A post held by a worker at a region; ended posts keep their end date."""

    class Kind(models.TextChoices):
        SECRETARY = "secretary", _("党组织书记")
        DIRECTOR = "director", _("居/村委会主任")
        COMMITTEE = "committee", _("两委成员")
        FULL_TIME = "full_time", _("专职社区工作者")
        GRID_WORKER = "grid_worker", _("网格员")
        CHILD_DIRECTOR = "child_director", _("儿童主任")
        DISASTER_OFFICER = "disaster_officer", _("灾害信息员")
        LEGAL_ADVISOR = "legal_advisor", _("法律顾问")
        MEDIATOR = "mediator", _("人民调解员")
        SPORTS_INSTRUCTOR = "sports_instructor", _("社会体育指导员")
        COMMUNITY_POLICE = "community_police", _("社区民警")
        AUXILIARY_POLICE = "auxiliary_police", _("辅警")
        SOCIAL_WORKER = "social_worker", _("社会工作者")

    worker = models.ForeignKey(
        Worker, verbose_name="工作者", on_delete=models.CASCADE, related_name="positions"
    )
    region = models.ForeignKey(
        Region, verbose_name="任职区划", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("岗位", max_length=30, choices=Kind.choices, db_index=True)
    started_on = models.DateField("任职日期", null=True, blank=True)
    ended_on = models.DateField("离任日期", null=True, blank=True)

    LEADER_KINDS: ClassVar[tuple[str, ...]] = (Kind.SECRETARY, Kind.DIRECTOR)

    class Meta:
        verbose_name = "岗位"
        verbose_name_plural = "岗位"
        ordering = ["worker_id", "kind"]
        constraints = [
            # A worker holds a post at a region once at a time (ADR 0035).
            models.UniqueConstraint(
                fields=["worker", "region", "kind"],
                condition=models.Q(ended_on__isnull=True),
                name="position_unique_open_post",
            ),
            # One 书记 and one 主任 per community at a time (一肩挑: the same worker in both).
            models.UniqueConstraint(
                fields=["region", "kind"],
                condition=models.Q(ended_on__isnull=True, kind__in=["secretary", "director"]),
                name="position_one_open_leader_post",
            ),
            models.CheckConstraint(
                condition=models.Q(started_on__isnull=True)
                | models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="position_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.get_kind_display()}"


class Certificate(RegionScopedModel):
    class Kind(models.TextChoices):
        ASSISTANT_SOCIAL_WORKER = "assistant", _("助理社会工作师")
        SOCIAL_WORKER = "social_worker", _("社会工作师")
        SENIOR_SOCIAL_WORKER = "senior", _("高级社会工作师")
        SOCIAL_WORK_DEGREE = "degree", _("社会工作专业毕业证书")

    worker = models.ForeignKey(
        Worker, verbose_name="工作者", on_delete=models.CASCADE, related_name="certificates"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("证书", max_length=20, choices=Kind.choices)
    number = models.CharField("证书编号", max_length=50, blank=True)
    issued_on = models.DateField("取得日期")
    expires_on = models.DateField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = "职业资格证书"
        verbose_name_plural = "职业资格证书"
        ordering = ["worker_id", "-issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="certificate_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.get_kind_display()}"


class Training(RegionScopedModel):
    worker = models.ForeignKey(
        Worker, verbose_name="工作者", on_delete=models.CASCADE, related_name="trainings"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    course = models.CharField("培训课程", max_length=150)
    days = models.DecimalField("天数", max_digits=5, decimal_places=1)
    started_on = models.DateField("培训日期")
    organiser = models.CharField("主办单位", max_length=100, blank=True)
    is_rotation = models.BooleanField("集中轮训", default=False)

    class Meta:
        verbose_name = "培训记录"
        verbose_name_plural = "培训记录"
        ordering = ["worker_id", "-started_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(days__gt=0), name="training_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.course}"
