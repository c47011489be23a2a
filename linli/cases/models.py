"""Cases (接诉即办): what residents and grid workers report, and the loop that closes them.

A case is reported, accepted (or not), dispatched to a grid worker or departments, signed
for, handled, resolved, rated by the resident and closed. Every change is one service in
`services.py` that locks the case and appends an immutable `CaseEvent`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.cases.storage import case_photo_storage
from linli.core.models import RegionScopedModel, TimeStampedModel
from linli.core.pii import EncryptedTextField, mask_phone
from linli.regions.models import Region


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class Source(models.TextChoices):
    RESIDENT = "resident", _("居民随手拍")
    PATROL = "patrol", _("网格员巡查")
    HOTLINE = "hotline", _("热线电话")
    DEPARTMENT = "department", _("部门移交")
    API = "api", _("外部系统")


class Status(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", pgettext_lazy("案件状态", "不予受理")
    ESCALATED = "escalated", _("已吹哨")
    DISPATCHED = "dispatched", _("已派单")
    SIGNED = "signed", _("已签收")
    IN_PROGRESS = "in_progress", _("处置中")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已关闭")
    MERGED = "merged", _("已合并")


# Cases still in someone's hands (duplicates are looked for among these).
OPEN_STATUSES = (
    Status.REPORTED,
    Status.ACCEPTED,
    Status.ESCALATED,
    Status.DISPATCHED,
    Status.SIGNED,
    Status.IN_PROGRESS,
)
# Being handled by an assignee: deadlines run.
HANDLING_STATUSES = (Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS)
FINAL_STATUSES = (Status.REJECTED, Status.CLOSED, Status.MERGED)


class RejectReason(models.TextChoices):
    INVALID = "invalid", _("无效诉求")
    DUPLICATE = "duplicate", _("重复诉求")
    NOT_OURS = "not_ours", _("非本平台职责（已告知办理渠道）")


class CaseCategory(TimeStampedModel):
    """A node of the configurable category tree; `code` is also the Open311 service_code."""

    code = models.SlugField("编码", max_length=50, unique=True)
    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.CharField("说明", max_length=200, blank=True)
    default_department = models.CharField(
        "建议派往部门", max_length=100, blank=True, help_text="派单时默认推荐的部门名称"
    )
    is_public = models.BooleanField(
        "公开", default=True, help_text="是否在公开接口（Open311）中列出此类案件"
    )
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "案件分类"
        verbose_name_plural = "案件分类"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name  # type: ignore[union-attr]

    @property
    def top(self) -> CaseCategory:
        return self.parent if self.parent_id else self  # type: ignore[return-value]


class TimeLimit(TimeStampedModel):
    """Time limits for a category (or every category when empty) and urgency."""

    category = models.ForeignKey(
        CaseCategory,
        verbose_name="分类",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
        help_text="留空表示所有分类的默认时限",
    )
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices)
    sign_hours = models.FloatField("签收时限（小时）")
    contact_hours = models.FloatField("首次联系时限（小时）")
    resolve_hours = models.FloatField("办结时限（小时）")
    working_time = models.BooleanField(
        "按工作时间计", default=True, help_text="勾选：只计法定工作日的办公时间；不勾选：自然小时"
    )

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        ordering = ["category__code", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency"], name="time_limit_unique_category_urgency"
            ),
            models.UniqueConstraint(
                fields=["urgency"],
                condition=models.Q(category__isnull=True),
                name="time_limit_unique_default",
            ),
            models.CheckConstraint(
                condition=models.Q(sign_hours__gt=0, contact_hours__gt=0, resolve_hours__gt=0),
                name="time_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '默认'} · {self.get_urgency_display()}"


class WorkdayOverride(models.Model):
    """A correction to the official calendar (a holiday or make-up workday it lacks)."""

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是工作日")
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = "工作日调整"
        verbose_name_plural = "工作日调整"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '休息'}"


class Case(RegionScopedModel):
    """One reported problem and where it stands in the loop."""

    region = models.ForeignKey(
        Region, verbose_name="所在网格/社区", on_delete=models.PROTECT, related_name="cases"
    )
    # Its index is case_category_created's first column (Meta.indexes).
    category = models.ForeignKey(
        CaseCategory,
        verbose_name="分类",
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    urgency = models.CharField(
        "紧急程度", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.REPORTED
    )  # indexed as case_status_region's first column
    description = models.TextField("问题描述")
    address = models.CharField("地址", max_length=200, blank=True)
    lng = models.FloatField("经度 (WGS84)", null=True, blank=True)
    lat = models.FloatField("纬度 (WGS84)", null=True, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上报人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
        db_index=False,  # case_reporter_set
    )
    reporter_name = models.CharField("上报人", max_length=50, blank=True)
    reporter_phone = EncryptedTextField("上报人电话", blank=True, default="")
    # Kept for a lookup by caller (not built yet); unindexed until one asks for it (ADR 0112).
    reporter_phone_hash = models.CharField("上报人电话索引", max_length=64, blank=True)
    external_ref = models.CharField("外部编号", max_length=100, blank=True)

    version = models.PositiveIntegerField("版本", default=1)

    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("首次派单时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    first_contact_at = models.DateTimeField("首次联系时间", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    sign_deadline = models.DateTimeField("签收期限", null=True, blank=True)
    contact_deadline = models.DateTimeField("联系期限", null=True, blank=True)
    resolve_deadline = models.DateTimeField("办结期限", null=True, blank=True)
    working_time = models.BooleanField("按工作时间计时", default=True)
    responded_in_time = models.BooleanField("按时响应", null=True, blank=True)
    handling_seconds = models.PositiveIntegerField("办理用时（秒）", null=True, blank=True)

    sign_overdue = models.BooleanField("签收超期", default=False)
    contact_overdue = models.BooleanField("联系超期", default=False)
    resolve_overdue = models.BooleanField("办结超期", default=False)
    overdue_at = models.DateTimeField("超期时间", null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField("升级层级", default=0)
    warned_at = models.DateTimeField("临期提醒时间", null=True, blank=True)

    result = models.TextField("办理结果", blank=True)
    reject_reason = models.CharField(
        "不予受理原因", max_length=20, choices=RejectReason.choices, blank=True
    )
    redirect_to = models.CharField("告知办理渠道", max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="合并到",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_cases",
        db_index=False,  # case_merged_into_set
    )
    extension_hours = models.FloatField("申请延期（小时）", null=True, blank=True)
    extension_reason = models.CharField("延期理由", max_length=200, blank=True)
    reopened_count = models.PositiveSmallIntegerField("重新打开次数", default=0)
    supervised_count = models.PositiveSmallIntegerField("督办次数", default=0)

    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    is_solved = models.BooleanField("问题已解决", null=True, blank=True)
    is_satisfied = models.BooleanField("满意", null=True, blank=True)
    rating_score = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    rating_comment = models.CharField("评价意见", max_length=200, blank=True)
    rating_channel = models.CharField(
        "评价方式",
        max_length=10,
        blank=True,
        choices=[("resident", _("居民评价")), ("callback", _("电话回访"))],
    )

    class Meta:
        verbose_name = "案件"
        verbose_name_plural = "案件"
        ordering = ["-created_at", "-id"]
        # Every index is written by every intake (ADR 0112): a column that is empty when a case
        # comes in is indexed only where it is set — the queries on it ask for a value.
        indexes = [
            models.Index(fields=["category", "created_at"], name="case_category_created"),
            models.Index(fields=["status", "region_code"], name="case_status_region"),
            *(
                models.Index(
                    fields=[field],
                    condition=models.Q(**{f"{field}__isnull": False}),
                    name=f"case_{field}_set",
                )
                for field in (
                    "reporter",
                    "merged_into",
                    "dispatched_at",
                    "resolve_deadline",
                    "rated_at",
                )
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating_score__isnull=True)
                | models.Q(rating_score__gte=1, rating_score__lte=5),
                name="case_rating_score_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category.name if self.category_id else ''}".strip()

    @property
    def number(self) -> str:
        """The number people quote (案件编号): the day it came in and its id."""
        if self.pk is None or self.created_at is None:
            return ""
        from linli.cases.worktime import TZ

        return f"{self.created_at.astimezone(TZ):%Y%m%d}{self.pk:06d}"

    @property
    def reporter_phone_masked(self) -> str:
        return mask_phone(self.reporter_phone) if self.reporter_phone else ""

    @property
    def extension_hours_count(self) -> int | float | None:
        """The requested extension as a template's plural count: 24 hours, not 24.0."""
        hours = self.extension_hours
        return int(hours) if hours is not None and hours.is_integer() else hours

    @property
    def is_overdue(self) -> bool:
        return self.sign_overdue or self.contact_overdue or self.resolve_overdue

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseAssignment(RegionScopedModel):
    """Who a case was dispatched to: a grid worker or a department, as lead (主办) or
    helper (协办). Each must sign for it (报到) within its own time limit."""

    class Role(models.TextChoices):
        LEAD = "lead", _("主办")
        HELPER = "helper", _("协办")

    class State(models.TextChoices):
        PENDING = "pending", _("待签收")
        SIGNED = "signed", _("已签收")
        RETURNED = "returned", _("已退回")
        DONE = "done", _("已办结")
        CANCELLED = "cancelled", _("已撤回")

    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="assignments"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("职责", max_length=10, choices=Role.choices, default=Role.LEAD)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="网格员/处置人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_assignments",
    )
    department = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_assignments",
    )
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    sign_deadline = models.DateTimeField("签收期限", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签收人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sign_overdue = models.BooleanField("签收超期", default=False)
    return_reason = models.CharField("退回理由", max_length=200, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="派单人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "派单"
        verbose_name_plural = "派单"
        ordering = ["case_id", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(worker__isnull=False, department__isnull=True)
                | models.Q(worker__isnull=True, department__isnull=False),
                name="case_assignment_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.target_label}（{self.get_role_display()}）"

    @property
    def target_label(self) -> str:
        if self.department_id:
            return self.department.name  # type: ignore[union-attr]
        return str(self.worker) if self.worker_id else ""

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.PENDING, self.State.SIGNED)


class CaseEvent(RegionScopedModel):
    """One step of a case's history: who, when, from → to, note, attachments. Never changed."""

    class Action(models.TextChoices):
        REPORT = "report", pgettext_lazy("案件操作记录", "上报")
        ACCEPT = "accept", pgettext_lazy("案件操作记录", "受理")
        REJECT = "reject", pgettext_lazy("案件操作记录", "不予受理")
        DISPATCH = "dispatch", pgettext_lazy("案件操作记录", "派单")
        ESCALATE = "escalate", pgettext_lazy("案件操作记录", "网格吹哨")
        SIGN = "sign", pgettext_lazy("案件操作记录", "签收")
        CONTACT = "contact", pgettext_lazy("案件操作记录", "联系诉求人")
        START = "start", pgettext_lazy("案件操作记录", "开始处置")
        PROGRESS = "progress", pgettext_lazy("案件操作记录", "处置进展")
        RESOLVE = "resolve", pgettext_lazy("案件操作记录", "办结")
        RETURN = "return", pgettext_lazy("案件操作记录", "退回")
        RATE = "rate", pgettext_lazy("案件操作记录", "回访评价")
        REOPEN = "reopen", pgettext_lazy("案件操作记录", "重新打开")
        CLOSE = "close", pgettext_lazy("案件操作记录", "关闭")
        SUPERVISE = "supervise", pgettext_lazy("案件操作记录", "督办")
        EXTEND_REQUEST = "extend_request", pgettext_lazy("案件操作记录", "申请延期")
        EXTEND_APPROVE = "extend_approve", pgettext_lazy("案件操作记录", "批准延期")
        EXTEND_DENY = "extend_deny", pgettext_lazy("案件操作记录", "驳回延期")
        MERGE = "merge", pgettext_lazy("案件操作记录", "合并")
        FOLLOW = "follow", pgettext_lazy("案件操作记录", "关注")
        OVERDUE = "overdue", pgettext_lazy("案件操作记录", "超期")
        WARN = "warn", pgettext_lazy("案件操作记录", "临期提醒")
        PHOTOS = "photos", pgettext_lazy("案件操作记录", "补充照片")

    # Events a resident sees on their own case's timeline (internal steps stay internal).
    PUBLIC_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {
            "report",
            "accept",
            "reject",
            "dispatch",
            "sign",
            "resolve",
            "rate",
            "reopen",
            "close",
            "merge",
            "escalate",
            "photos",
        }
    )
    # Of those, the steps whose note is written for the reporter: why the case is not taken
    # up, the result, their own rating. Every other note (a dispatch's instructions, a
    # sign-for or acceptance remark, a merge or reopening reason) is the staff's own.
    PUBLIC_NOTE_ACTIONS: ClassVar[frozenset[str]] = frozenset({"reject", "resolve", "rate"})

    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="events"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("操作人名称", max_length=150)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    from_status = models.CharField("原状态", max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField("新状态", max_length=20, choices=Status.choices, blank=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("附加信息", default=dict, blank=True)

    class Meta:
        verbose_name = "案件记录"
        verbose_name_plural = "案件记录"
        ordering = ["case_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The history is append-only: a stored event is never rewritten.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("case events are immutable")
        super().save(*args, **kwargs)

    @property
    def is_public(self) -> bool:
        return self.action in self.PUBLIC_ACTIONS

    @property
    def public_note(self) -> str:
        """The note as a resident may read it: only a note meant for them, else nothing."""
        return self.note if self.action in self.PUBLIC_NOTE_ACTIONS else ""

    @property
    def public_targets(self) -> list[str]:
        """Who a dispatch went to, as a resident may read it: departments, and 网格员 for a
        person (older events, which kept only the staff's names, show nothing)."""
        targets = self.data.get("public_targets") if isinstance(self.data, dict) else None
        return [str(t) for t in targets] if isinstance(targets, list) else []


def _photo_path(instance: CasePhoto, filename: str) -> str:
    code = instance.region.code if instance.region_id else "unknown"  # type: ignore[union-attr]
    return f"{code[:9]}/{instance.sha256[:2]}/{instance.sha256}.jpg"


class CasePhoto(RegionScopedModel):
    """A photo of a case (the report, or the result), re-encoded without its metadata."""

    class Kind(models.TextChoices):
        REPORT = "report", _("上报照片")
        RESULT = "result", _("办结照片")
        PROGRESS = "progress", _("处置照片")

    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="photos"
    )
    region = models.ForeignKey(
        Region, verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    event = models.ForeignKey(
        CaseEvent,
        verbose_name="所属记录",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.REPORT)
    file = models.FileField(
        "文件", storage=case_photo_storage, upload_to=_photo_path, max_length=200
    )
    width = models.PositiveIntegerField("宽")
    height = models.PositiveIntegerField("高")
    size = models.PositiveIntegerField("字节数")
    sha256 = models.CharField("摘要", max_length=64)
    # Where the camera said it was (EXIF GPS): for staff only, never in what is shown.
    exif_lng = models.FloatField("拍摄经度", null=True, blank=True)
    exif_lat = models.FloatField("拍摄纬度", null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "案件照片"
        verbose_name_plural = "案件照片"
        ordering = ["case_id", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()}"


class CaseFollower(models.Model):
    """A resident who reported the same problem (附近已有相同问题) or whose case was merged:
    told about the result like the reporter."""

    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="followers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="关注人", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField("关注时间", auto_now_add=True)

    class Meta:
        verbose_name = "案件关注"
        verbose_name_plural = "案件关注"
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="case_follower_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.case_id}"


class Notification(models.Model):
    """An in-app message to one person (staff or resident); the SMS copy is sent beside it."""

    class Kind(models.TextChoices):
        DISPATCH = "dispatch", _("新派单")
        APPROACHING = "approaching", _("即将超期")
        OVERDUE = "overdue", _("已超期")
        RESULT = "result", _("办理结果")
        RATE = "rate", _("请评价")
        SUPERVISE = "supervise", _("督办")
        RETURNED = "returned", _("案件退回")
        ESCALATED = "escalated", pgettext_lazy("通知类型", "网格吹哨")
        EXTENSION = "extension", _("延期申请")
        OTHER = "other", _("通知")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="case_notifications",
    )
    case = models.ForeignKey(
        Case,
        verbose_name="案件",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    title = models.CharField("标题", max_length=100)
    body = models.CharField("内容", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.title
