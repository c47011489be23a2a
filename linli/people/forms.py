"""Forms of the people pages. They parse input; the services decide (their Chinese errors are
put back on the fields by `add_service_errors`)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from linli.core.errors import ApplicationError
from linli.people.models import ResidenceType, Resident, ResidentTag, Tag


class PiiInput(forms.TextInput):
    """A text input that never renders its value: a clear 身份证号 or phone is not sent back to
    the browser, not even the one just typed (ADR 0020). Blank on an edit form = unchanged."""

    def format_value(self, value: Any) -> str | None:
        return None


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            widget.attrs.setdefault("class", "form-check-input")
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def add_service_errors(form: forms.Form, error: ApplicationError) -> None:
    """Put a service's field errors (detail {"fields": {name: message}}) on the form."""
    fields = (error.detail or {}).get("fields") if isinstance(error.detail, dict) else None
    if not fields:
        form.add_error(None, error.message)
        return
    aliases = {"to_household_id": "to_household", "building_id": "building"}
    for name, message in fields.items():
        name = aliases.get(name, name)
        form.add_error(name if name in form.fields else None, message)


def _set_choices(field: forms.Field, choices: list[tuple[Any, Any]]) -> None:
    cast(forms.ChoiceField, field).choices = choices


def _picker(field: forms.Field, url_name: str, target: str) -> None:
    """A region select that reloads another select's options over htmx when it changes."""
    field.widget.attrs.update(
        {"hx-get": reverse(url_name), "hx-target": target, "hx-trigger": "change"}
    )


def region_label(region: Any) -> str:
    parent = getattr(region, "parent", None)
    if region.level == "grid" and parent is not None and not region.name.startswith(parent.name):
        return f"{parent.name} / {region.name}"
    return region.name


class ResidentFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名/拼音/首字母"), required=False, max_length=50)
    tag = forms.MultipleChoiceField(
        label=_("标签"), choices=Tag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    age_min = forms.IntegerField(
        label=_("最小年龄"),
        required=False,
        min_value=0,
        max_value=150,
        error_messages={
            "invalid": _("年龄应为整数"),
            "min_value": _("年龄不能小于0"),
            "max_value": _("年龄不能大于150"),
        },
    )
    age_max = forms.IntegerField(
        label=_("最大年龄"),
        required=False,
        min_value=0,
        max_value=150,
        error_messages={
            "invalid": _("年龄应为整数"),
            "min_value": _("年龄不能小于0"),
            "max_value": _("年龄不能大于150"),
        },
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[
            ("active", _("在册")),
            ("moved_out", _("迁出")),
            ("deceased", _("死亡")),
            ("all", _("全部")),
        ],
    )
    region = forms.CharField(required=False, max_length=15, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", _("最大年龄不能小于最小年龄"))
        return data


class ResidentForm(forms.Form):
    """Create (with region/household) or edit (PII blank = unchanged) a resident.
    `limited=True` (grid workers) keeps only phone and tags."""

    region = forms.ChoiceField(label=_("所在网格/社区"), required=False)
    household = forms.TypedChoiceField(
        label=_("所属户"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("先选网格/社区，再选户；暂无户的流动人员可不选"),
    )
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    gender = forms.ChoiceField(
        label=_("性别"), choices=[("", _("请选择")), *Resident.Gender.choices], required=False
    )
    birth_date = forms.CharField(
        label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id_number = forms.CharField(
        label=_("身份证号"),
        required=False,
        max_length=18,
        widget=PiiInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("手机号"),
        required=False,
        max_length=20,
        widget=PiiInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    relation = forms.ChoiceField(
        label=_("与户主关系"), choices=Resident.Relation.choices, initial="other"
    )
    residence_type = forms.ChoiceField(label=_("居住类型"), choices=ResidenceType.choices)
    tags = forms.MultipleChoiceField(
        label=_("特殊群体标签"),
        choices=Tag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    disability_kind = forms.ChoiceField(
        label=_("残疾类别"),
        required=False,
        choices=[("", "—"), *ResidentTag.DisabilityKind.choices],
        help_text=_("仅“残疾”标签填写"),
    )
    disability_grade = forms.ChoiceField(
        label=_("残疾等级"),
        required=False,
        choices=[("", "—"), ("1", _("一级")), ("2", _("二级")), ("3", _("三级")), ("4", _("四级"))],
        help_text=_("仅“残疾”标签填写"),
    )
    clear_pii = forms.MultipleChoiceField(
        label=_("清除"),
        required=False,
        choices=[("id_number", _("清除身份证号")), ("phone", _("清除手机号"))],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        mode: str = "create",
        regions: list[tuple[str, str]] | None = None,
        households: list[tuple[int, str]] | None = None,
        resident: Resident | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mode = mode
        if mode == "create":
            _set_choices(self.fields["region"], [("", _("请选择")), *(regions or [])])
            _set_choices(self.fields["household"], [("", _("不选（无户）")), *(households or [])])
            _picker(self.fields["region"], "people:household_options", "#id_household")
            del self.fields["clear_pii"]
        else:
            del self.fields["region"]
            del self.fields["household"]
            if resident is not None:
                masked = {"id_number": resident.id_number_masked, "phone": resident.phone_masked}
                for key, value in masked.items():
                    self.fields[key].help_text = (
                        _("当前：%(value)s；留空表示不修改") % {"value": value}
                        if value
                        else _("当前未登记")
                    )
                    self.fields[key].widget.attrs["placeholder"] = value or ""
        if mode == "limited":
            for key in list(self.fields):
                if key not in ("phone", "tags", "disability_kind", "disability_grade", "clear_pii"):
                    del self.fields[key]
            if "clear_pii" in self.fields:
                _set_choices(self.fields["clear_pii"], [("phone", _("清除手机号"))])
        for key in ("name", "gender", "birth_date"):
            if key in self.fields:
                self.fields[key].widget.is_required = True
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        no_disability = Tag.DISABILITY not in (data.get("tags") or [])
        if (
            "tags" in self.fields
            and no_disability
            and (data.get("disability_kind") or data.get("disability_grade"))
        ):
            self.add_error("disability_kind", _("只有勾选“残疾”标签时才填写残疾类别和等级"))
        return data

    def service_data(self, resident: Resident | None = None) -> dict[str, Any]:
        """The cleaned values as the services take them (edit: PII only when typed or cleared;
        tags that stay keep their 认定日期)."""
        data = dict(self.cleaned_data)
        kind = data.pop("disability_kind", "")
        grade = data.pop("disability_grade", "")
        clear = set(data.pop("clear_pii", None) or [])
        since = {t.tag: t.since for t in resident.tags.all()} if resident is not None else {}
        tags = []
        for tag in data.pop("tags", None) or []:
            item: dict[str, Any] = {"tag": tag, "since": since.get(tag)}
            if tag == Tag.DISABILITY:
                item.update(disability_kind=kind, disability_grade=grade)
            tags.append(item)
        if "tags" in self.fields:
            data["tags"] = tags
        if resident is not None:
            for key in ("id_number", "phone"):
                if key in data and not data[key] and key not in clear:
                    data.pop(key)
        return data


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看原因"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("如：办理低保核对身份"), "autocomplete": "off"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class PiiLookupForm(forms.Form):
    pii_q = forms.CharField(
        label=_("按身份证号或手机号精确查找"),
        max_length=20,
        required=False,
        widget=PiiInput(attrs={"autocomplete": "off", "placeholder": _("完整的身份证号或手机号")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class MoveForm(forms.Form):
    region = forms.ChoiceField(label=_("迁入网格/社区"), required=False)
    to_household = forms.TypedChoiceField(
        label=_("迁入的户"), required=False, coerce=int, empty_value=None
    )
    relation = forms.ChoiceField(
        label=_("与新户户主关系"), choices=Resident.Relation.choices, initial="other"
    )
    moved_on = forms.CharField(
        label=_("迁移日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("原因"), max_length=150, required=False)

    def __init__(
        self,
        *args: Any,
        regions: list[tuple[str, str]] | None = None,
        households: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["region"], [("", _("请选择")), *(regions or [])])
        _set_choices(self.fields["to_household"], [("", _("请选择")), *(households or [])])
        _picker(self.fields["region"], "people:household_options", "#id_to_household")
        _style(self)


class LeaveForm(forms.Form):
    status = forms.ChoiceField(
        label=_("登记类型"), choices=[("moved_out", _("迁出（离开本县）")), ("deceased", _("死亡"))]
    )
    on = forms.CharField(
        label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("说明"), max_length=150, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class HouseholdForm(forms.Form):
    region = forms.ChoiceField(label=_("所在网格/社区"), required=False)
    number = forms.CharField(
        label=_("户编号"), max_length=40, required=False, help_text=_("本社区/村内唯一")
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    building = forms.TypedChoiceField(label=_("楼栋"), required=False, coerce=int, empty_value=None)
    residence_type = forms.ChoiceField(label=_("户类型"), choices=ResidenceType.choices)
    phone = forms.CharField(
        label=_("联系电话"),
        required=False,
        max_length=20,
        widget=PiiInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    clear_phone = forms.BooleanField(label=_("清除联系电话"), required=False)

    def __init__(
        self,
        *args: Any,
        regions: list[tuple[str, str]] | None = None,
        buildings: list[tuple[int, str]] | None = None,
        household: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["region"], [("", _("请选择")), *(regions or [])])
        _set_choices(self.fields["building"], [("", _("不选")), *(buildings or [])])
        _picker(self.fields["region"], "people:building_options", "#id_building")
        for key in ("region", "number", "address"):
            self.fields[key].widget.is_required = True
        if household is None:
            del self.fields["clear_phone"]
        else:
            masked = household.phone_masked
            self.fields["phone"].help_text = (
                _("当前：%(value)s；留空表示不修改") % {"value": masked}
                if masked
                else _("当前未登记")
            )
        _style(self)

    def service_data(self, household: Any = None) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        clear = data.pop("clear_phone", False)
        data["building_id"] = data.pop("building")
        data["region_code"] = data.pop("region")
        if household is not None and not data["phone"] and not clear:
            data.pop("phone")
        return data
