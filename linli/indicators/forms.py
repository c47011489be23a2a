from __future__ import annotations

from typing import Any

from django import forms

from linli.indicators.models import Indicator, Target


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select"
        else:
            widget.attrs["class"] = "form-control"


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = (
            "code",
            "name",
            "short_name",
            "category",
            "description",
            "kind",
            "numerator",
            "denominator",
            "factor",
            "unit",
            "decimals",
            "applies_to",
            "judged_at",
            "unit_operator",
            "unit_threshold",
            "source",
            "sort_order",
            "is_active",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(
        self, *args: Any, measure_choices: list[tuple[str, str]] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
        hint = (
            "可用度量：" + "、".join(code for code, _ in measure_choices or [])
            if measure_choices
            else ""
        )
        self.fields["numerator"].help_text = (
            "覆盖率指标：判断每个单位是否达标所用的度量。尚无模块提供的度量显示为“数据未接入”。"
            + (f" {hint}" if hint else "")
        )
        self.fields[
            "denominator"
        ].help_text = "仅比率指标需要，如 households（户数）、population（常住人口）"
        _bootstrap(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Indicator.Kind.RATIO and not data.get("denominator"):
            self.add_error("denominator", "比率指标必须有分母度量")
        return data


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ("operator", "value", "deadline", "source", "note")
        widgets = {"deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class PlanUploadForm(forms.Form):
    file = forms.FileField(label="规划文件（JSON）", help_text="格式与「导出规划」下载的文件相同")
    deactivate_missing = forms.BooleanField(
        label="停用文件中没有的指标", required=False, help_text="指标不会被删除，历史快照保留"
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
