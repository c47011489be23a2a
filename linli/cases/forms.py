"""The report form (随手拍 / 巡查上报 / 热线登记); the services do the business checks."""

from __future__ import annotations

import functools
import operator
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.cases import selectors
from linli.cases.models import Source, Urgency
from linli.core.scoping import LEVEL_PREFIX_LENGTH, scope_of, starts_with
from linli.regions.models import Region


def _category_choices() -> list[tuple[str, Any]]:
    groups: list[tuple[str, Any]] = [("", _("请选择问题分类"))]
    tree = selectors.category_tree()
    for top in (c for c in tree if c.parent_id is None):
        children = [(c.code, c.name) for c in tree if c.parent_id == top.pk]
        groups.append(
            (
                top.name,
                [
                    (
                        top.code,
                        _("%(name)s（其他）") % {"name": top.name} if children else top.name,
                    ),
                    *children,
                ],
            )
        )
    return groups


def _region_choices(user: Any) -> list[tuple[str, Any]]:
    """The communities a user may report in, grouped by town; for a grid worker, whose scope
    is a grid and holds no community, the grids they patrol, grouped by community."""
    scope = scope_of(user)
    communities = Region.objects.filter(level="community").select_related("parent")
    if scope.prefixes and not scope.is_global:
        communities = communities.visible_to(user)
    groups: dict[str, list[tuple[str, str]]] = {}
    for region in communities.order_by("code"):
        town = region.parent.name if region.parent is not None else ""
        groups.setdefault(town, []).append((region.code, region.name))
    below_community = [
        prefix
        for prefix in scope.prefixes
        if len(prefix) > LEVEL_PREFIX_LENGTH["community"] and not scope.is_global
    ]
    if below_community:
        within = functools.reduce(operator.or_, (starts_with("code", p) for p in below_community))
        grids = Region.objects.filter(within, level="grid").select_related("parent")
        for grid in grids.order_by("code"):
            community = grid.parent.name if grid.parent is not None else ""
            groups.setdefault(community, []).append((grid.code, grid.name))
    return [("", _("按地图位置自动确定")), *groups.items()]


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=_("问题分类"))
    description = forms.CharField(
        label=_("问题描述"),
        min_length=5,
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("请描述问题：在哪里、什么情况、持续多久")}
        ),
        error_messages={"min_length": _("问题描述至少 5 个字"), "required": _("请填写问题描述")},
    )
    address = forms.CharField(label=_("详细地址"), max_length=200, required=False)
    region_code = forms.ChoiceField(label=_("所在社区/村"), required=False)
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL
    )
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    coord_system = forms.CharField(required=False, initial="wgs84", widget=forms.HiddenInput)
    source = forms.ChoiceField(
        label=_("来源"),
        required=False,
        choices=[
            (Source.HOTLINE, Source.HOTLINE.label),
            (Source.DEPARTMENT, Source.DEPARTMENT.label),
        ],
    )
    reporter_name = forms.CharField(label=_("来电人姓名"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("来电人电话"), max_length=20, required=False)
    self_handle = forms.BooleanField(label=_("就地处置（由我本人处理）"), required=False)

    def __init__(
        self, *args: Any, user: Any, is_operator: bool, is_grid: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices()
        cast(forms.ChoiceField, self.fields["region_code"]).choices = _region_choices(user)
        for name, field in self.fields.items():
            if not isinstance(field.widget, forms.HiddenInput | forms.CheckboxInput):
                css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
                field.widget.attrs.setdefault("class", css)
            if name == "self_handle":
                field.widget.attrs["class"] = "form-check-input"
        if not is_operator:
            for name in ("source", "reporter_name", "reporter_phone"):
                del self.fields[name]
        if not is_grid:
            del self.fields["self_handle"]
        self.fields["category"].widget.attrs["data-nearby"] = "category"
