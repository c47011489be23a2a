"""Page forms for facilities and facility types; the rules live in services.py."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from linli.facilities.models import Facility, FacilityType
from linli.regions.models import Region

_INDENT = {"county": "", "town": "　", "community": "　　", "grid": "　　　"}


def region_choices(scope: Any) -> list[tuple[str, str]]:
    rows = Region.objects.visible_to(scope).order_by("code").values_list("code", "name", "level")
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


class TypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.category} · {obj.name}" if obj.category else obj.name


class FacilityForm(forms.Form):
    region_code = forms.ChoiceField(label="所在区划")
    type = TypeChoiceField(label="设施类型", queryset=FacilityType.objects.none())
    name = forms.CharField(label="名称", max_length=150)
    address = forms.CharField(label="地址", max_length=200, required=False)
    building_area_m2 = forms.CharField(
        label="建筑面积（平方米）",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    weekday_hours = forms.CharField(
        label="工作日开放时间",
        max_length=50,
        required=False,
        help_text="如 08:30-17:30；有午休可写 08:30-12:00,14:30-17:30",
    )
    extended_evening = forms.BooleanField(label="工作日延时开放", required=False)
    weekend_open = forms.BooleanField(label="周末开放", required=False)
    operator_name = forms.CharField(label="运营方名称", max_length=150, required=False)
    status = forms.ChoiceField(
        label="状态", choices=Facility.Status.choices, initial=Facility.Status.OPERATING
    )
    lng = forms.FloatField(
        label="经度", required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    lat = forms.FloatField(
        label="纬度", required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    coord_system = forms.ChoiceField(
        label="坐标来源",
        choices=[
            ("wgs84", "天地图 / GPS（WGS84、CGCS2000）"),
            ("gcj02", "高德 / 腾讯地图（GCJ-02，自动转换）"),
        ],
        initial="wgs84",
    )

    def __init__(self, *args: Any, scope: Any, instance: Facility | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        types = FacilityType.objects.order_by("sort_order", "code")
        if instance is None:
            types = types.filter(is_active=True)
            cast(forms.ChoiceField, self.fields["region_code"]).choices = [
                ("", "请选择"),
                *region_choices(scope),
            ]
        else:
            del self.fields["region_code"]  # a row's region is set once
        self.fields["type"].queryset = types  # type: ignore[attr-defined]
        _style(self)


class FacilityTypeForm(forms.ModelForm):
    class Meta:
        model = FacilityType
        fields = (
            "code",
            "name",
            "category",
            "description",
            "life_circle",
            "walk_threshold_m",
            "sort_order",
            "is_active",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"walk_threshold_m": "默认：5分钟 300 米，10分钟 500 米，15分钟 1000 米"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "代码是统计口径的依据，不能修改"
        _style(self)

    def validate_unique(self) -> None:
        """Uniqueness is the service's job (409 with a Chinese message)."""
