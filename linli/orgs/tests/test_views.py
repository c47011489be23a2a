"""Organisation pages: list filters, detail, create/edit, members, the 专栏2 summary."""

import pytest
from django.urls import reverse

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.orgs.models import Organisation
from linli.orgs.tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_list_filters_and_htmx_partial(client, town_staff_a, community_a, community_b):
    OrganisationFactory(region=community_a, name="夕阳红舞蹈队", is_regular_service=True)
    OrganisationFactory(region=community_a, name="普通社团")
    OrganisationFactory(region=community_b, name="外镇组织", is_regular_service=True)
    client.force_login(town_staff_a)
    page = client.get(reverse("orgs:list"), {"regular": "1"}).content.decode()
    assert "夕阳红舞蹈队" in page
    assert "普通社团" not in page
    assert "外镇组织" not in page
    # an htmx request gets only the results fragment
    fragment = client.get(
        reverse("orgs:list"), {"q": "普通"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "普通社团" in fragment
    assert "<html" not in fragment


def test_list_query_count_is_bounded(
    client, county_admin, community_a, django_assert_max_num_queries
):
    for i in range(15):
        OrganisationFactory(region=community_a, name=f"组织{i}")
    client.force_login(county_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orgs:list"))
    assert response.status_code == 200


def test_create_edit_and_members_through_the_pages(client, town_staff_a, community_a):
    client.force_login(town_staff_a)
    # when staff register an organisation
    response = client.post(
        reverse("orgs:create"),
        {
            "region_code": community_a.code,
            "name": "邻里守望队",
            "kind": "volunteer_team",
            "is_active": "on",
        },
    )
    org = Organisation.objects.get(name="邻里守望队")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:detail", args=[org.pk])
    # and edit it
    client.post(
        reverse("orgs:edit", args=[org.pk]),
        {
            "name": "邻里守望队",
            "kind": "volunteer_team",
            "is_regular_service": "on",
            "is_active": "on",
        },
    )
    org.refresh_from_db()
    assert org.is_regular_service
    # and add then remove a member
    client.post(reverse("orgs:member_add", args=[org.pk]), {"name": "赵敏", "role": "member"})
    member = org.memberships.get()
    detail = client.get(reverse("orgs:detail", args=[org.pk])).content.decode()
    assert "赵敏" in detail
    client.post(reverse("orgs:member_remove", args=[org.pk, member.pk]))
    assert org.memberships.count() == 0


def test_create_form_shows_service_errors_in_chinese(client, town_staff_a, community_a):
    client.force_login(town_staff_a)
    page = client.post(
        reverse("orgs:create"),
        {"region_code": community_a.code, "name": "党支部", "kind": "party", "credit_code": "123"},
    ).content.decode()
    assert "党组织须填写层级" in page
    assert Organisation.objects.count() == 0


def test_another_towns_organisation_is_not_found(client, town_staff_a, community_b):
    org = OrganisationFactory(region=community_b)
    member = MembershipFactory(organisation=org)
    client.force_login(town_staff_a)
    assert client.get(reverse("orgs:detail", args=[org.pk])).status_code == 404
    assert client.post(reverse("orgs:member_remove", args=[org.pk, member.pk])).status_code == 404
    assert org.memberships.count() == 1


def test_leaders_see_no_write_buttons(client, leader, community_a):
    org = OrganisationFactory(region=community_a)
    client.force_login(leader)
    page = client.get(reverse("orgs:detail", args=[org.pk])).content.decode()
    assert org.name in page
    assert 'data-testid="member-form"' not in page
    assert reverse("orgs:edit", args=[org.pk]) not in page


def test_regular_summary_shows_targets(client, county_admin, community_a, community_b):
    for _ in range(6):
        OrganisationFactory(region=community_b, is_regular_service=True)
    client.force_login(county_admin)
    page = client.get(reverse("orgs:regular")).content.decode()
    assert "已达标 1 / 2 个社区" in page


def test_residents_cannot_open_the_registry(client, community_a):
    resident = user_with_role(Role.RESIDENT, community_a, username="res")
    client.force_login(resident)
    assert client.get(reverse("orgs:list")).status_code == 403
