"""Organisations of every kind in a community: party organisations, social organisations,
volunteer teams, social-work stations, resident units, government departments, …"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.models import RegionScopedModel
from linli.core.pii import EncryptedTextField, mask_phone
from linli.regions.models import Region

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_error(code: str) -> str | None:
    """A Chinese error for an invalid 统一社会信用代码 (GB 32100-2015), or None."""
    code = (code or "").strip().upper()
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", code):
        return "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）"
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(code, CREDIT_CODE_WEIGHTS, strict=False)
    )
    check = CREDIT_CODE_CHARS[(31 - total % 31) % 31]
    return None if code[17] == check else "统一社会信用代码校验位不正确"


class Organisation(RegionScopedModel):
    class Kind(models.TextChoices):
        PARTY = "party", _("党组织")
        SOCIAL = "social", _("社区社会组织")
        VOLUNTEER_TEAM = "volunteer_team", _("志愿服务队")
        SOCIAL_WORK = "social_work", _("社会工作服务站/室")
        CHARITY = "charity", _("慈善组织")
        RESIDENT_UNIT = "resident_unit", _("驻社区单位")
        DEPARTMENT = "department", _("政府部门")
        PROPERTY = "property", _("物业服务企业")
        OWNERS_COMMITTEE = "owners_committee", _("业主委员会")
        MARKET = "market", _("市场主体")

    class PartyLevel(models.TextChoices):
        COMMUNITY = "community", _("社区党组织")
        GRID = "grid", _("网格党支部")
        BUILDING = "building", _("楼栋党小组")

    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="organisations"
    )
    name = models.CharField("名称", max_length=150)
    kind = models.CharField("类型", max_length=30, choices=Kind.choices, db_index=True)
    party_level = models.CharField(
        "党组织层级", max_length=20, choices=PartyLevel.choices, blank=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True, db_index=True)
    is_regular_service = models.BooleanField(
        "经常性参与社区服务",
        default=False,
        help_text="专栏2：每个城市社区 12 个以上、农村社区 6 个以上",
    )
    is_brand = models.BooleanField("品牌社会组织/服务项目", default=False)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = EncryptedTextField("联系电话", blank=True, default="")
    founded_on = models.DateField("成立日期", null=True, blank=True)
    is_active = models.BooleanField("存续", default=True)

    class Meta:
        verbose_name = "组织"
        verbose_name_plural = "组织"
        ordering = ["region_code", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "name"], name="organisation_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone) if self.contact_phone else ""


class Membership(RegionScopedModel):
    """A person in an organisation, with a role (负责人, 成员, …)."""

    class Role(models.TextChoices):
        LEADER = "leader", _("负责人")
        DEPUTY = "deputy", _("副职")
        MEMBER = "member", pgettext_lazy("组织中的职务", "成员")
        CONTACT = "contact", _("联络员")

    organisation = models.ForeignKey(
        Organisation, verbose_name="组织", on_delete=models.CASCADE, related_name="memberships"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name="居民",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="memberships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="memberships",
    )
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("职务", max_length=20, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField("加入日期", null=True, blank=True)

    class Meta:
        verbose_name = "组织成员"
        verbose_name_plural = "组织成员"
        ordering = ["organisation_id", "role", "name"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.name}"
