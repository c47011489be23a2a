"""Page forms for workers, posts, certificates and trainings; rules live in services.py."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from linli.regions.models import Region
from linli.workforce.models import Certificate, Position, Worker

_INDENT = {"county": "", "town": "　", "community": "　　", "grid": "　　　"}
_DATE = {"type": "date"}


def region_choices(scope: Any) -> list[tuple[str, str]]:
    rows = (
        Region.objects.visible_to(scope)
        .filter(level__in=("town", "community", "grid"))
        .order_by("code")
        .values_list("code", "name", "level")
    )
    return [(code, f"{_INDENT.get(level, '')}{name}") for code, name, level in rows]


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        # Compact forms (the detail pages) render widgets without <label>: name them anyway.
        widget.attrs.setdefault("aria-label", str(field.label))
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class WorkerForm(forms.Form):
    region_code = forms.ChoiceField(label="所在区划")
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(
        label="性别", required=False, choices=[("", "—"), *Worker.Gender.choices]
    )
    birth_date = forms.DateField(
        label="出生日期", required=False, widget=forms.DateInput(attrs=_DATE)
    )
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text="编辑时留空表示不修改",
    )
    education = forms.ChoiceField(
        label="学历", required=False, choices=[("", "—"), *Worker.Education.choices]
    )
    employed_since = forms.DateField(
        label="入职日期", required=False, widget=forms.DateInput(attrs=_DATE)
    )
    is_active = forms.BooleanField(label="在岗", required=False, initial=True)

    def __init__(self, *args: Any, scope: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["region_code"]  # a row's region is set once
        else:
            cast(forms.ChoiceField, self.fields["region_code"]).choices = [
                ("", "请选择"),
                *region_choices(scope),
            ]
        _style(self)

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "region_code"}
        if "region_code" not in self.fields and not data.get("phone"):
            data.pop("phone", None)  # blank keeps the stored (encrypted) number
        return data


class PositionForm(forms.Form):
    kind = forms.ChoiceField(label="岗位", choices=Position.Kind.choices)
    region_code = forms.ChoiceField(label="任职区划", required=False)
    started_on = forms.DateField(
        label="任职日期", required=False, widget=forms.DateInput(attrs=_DATE)
    )

    def __init__(self, *args: Any, scope: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region_code"]).choices = [
            ("", "本人所在区划"),
            *region_choices(scope),
        ]
        _style(self)


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label="证书", choices=Certificate.Kind.choices)
    number = forms.CharField(label="证书编号", max_length=50, required=False)
    issued_on = forms.DateField(label="取得日期", widget=forms.DateInput(attrs=_DATE))
    expires_on = forms.DateField(
        label="有效期至", required=False, widget=forms.DateInput(attrs=_DATE)
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _style(self)


class TrainingForm(forms.Form):
    course = forms.CharField(label="培训课程", max_length=150)
    days = forms.CharField(
        label="天数",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="以半天为单位",
    )
    started_on = forms.DateField(label="培训日期", widget=forms.DateInput(attrs=_DATE))
    organiser = forms.CharField(label="主办单位", max_length=100, required=False)
    is_rotation = forms.BooleanField(label="集中轮训", required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _style(self)
