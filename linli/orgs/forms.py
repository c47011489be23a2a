"""Page forms for organisations and members; the rules themselves live in services.py."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from linli.orgs.models import Membership, Organisation
from linli.regions.models import Region

_INDENT = {"county": "", "town": "　", "community": "　　", "grid": "　　　"}


def region_choices(scope: Any, levels: tuple[str, ...]) -> list[tuple[str, str]]:
    """Visible regions of `levels` as select options, indented by level, in tree order."""
    rows = (
        Region.objects.visible_to(scope)
        .filter(level__in=levels)
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


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class OrganisationForm(forms.Form):
    region_code = forms.ChoiceField(label="所在区划")
    name = forms.CharField(label="名称", max_length=150)
    kind = forms.ChoiceField(label="类型", choices=Organisation.Kind.choices)
    party_level = forms.ChoiceField(
        label="党组织层级",
        required=False,
        choices=[("", "—（非党组织）"), *Organisation.PartyLevel.choices],
    )
    parent = ParentChoiceField(
        label="上级组织", required=False, queryset=Organisation.objects.none()
    )
    credit_code = forms.CharField(
        label="统一社会信用代码",
        max_length=18,
        required=False,
        help_text="18 位，未登记的社区社会组织可不填",
    )
    is_regular_service = forms.BooleanField(
        label="经常性参与社区服务",
        required=False,
        help_text="专栏2：城市社区 12 个以上，农村 6 个以上",
    )
    is_brand = forms.BooleanField(label="品牌社会组织/服务项目", required=False)
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(
        label="联系电话",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text="编辑时留空表示不修改",
    )
    founded_on = forms.DateField(
        label="成立日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_active = forms.BooleanField(label="存续", required=False, initial=True)

    def __init__(self, *args: Any, scope: Any, instance: Organisation | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instance = instance
        parents = Organisation.objects.visible_to(scope).filter(is_active=True)
        if instance is not None:
            parents = parents.exclude(pk=instance.pk)
            del self.fields["region_code"]  # a row's region is set once
        else:
            choices = region_choices(scope, ("county", "town", "community", "grid"))
            cast(forms.ChoiceField, self.fields["region_code"]).choices = [("", "请选择"), *choices]
        parent_field = self.fields["parent"]
        parent_field.queryset = parents.order_by("region_code", "kind", "name")  # type: ignore[attr-defined]
        _style(self)

    def changed_data_for_update(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "region_code"}
        if not data.get("contact_phone"):
            data.pop("contact_phone", None)  # blank keeps the stored (encrypted) number
        return data


class MemberForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="职务", choices=Membership.Role.choices)
    joined_on = forms.DateField(
        label="加入日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _style(self)
