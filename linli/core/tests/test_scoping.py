import pytest

from linli.core.scoping import Scope
from linli.regions.models import Region

pytestmark = pytest.mark.django_db


def test_a_prefix_scope_sees_exactly_its_subtree(two_towns):
    # given codes just inside and just outside town A's prefix 340223100
    Region.objects.create(
        code="340223101000", name="边界镇", level="town", parent=two_towns["county"]
    )
    Region.objects.create(
        code="340223099000", name="前镇", level="town", parent=two_towns["county"]
    )
    visible = set(
        Region.objects.visible_to(Scope(prefixes=("340223100",))).values_list("code", flat=True)
    )
    assert visible == {"340223100000", "340223100001", "340223100001001"}


def test_a_prefix_of_nines_has_no_upper_bound_but_still_filters(county):
    Region.objects.create(code="340223999000", name="九镇", level="town", parent=county)
    visible = list(
        Region.objects.visible_to(Scope(prefixes=("340223999",))).values_list("code", flat=True)
    )
    assert visible == ["340223999000"]
