"""The admin checks what is saved, not only what is opened: no escalation through it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.accounts.models import Role, RoleAssignment, User
from linli.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def test_town_staff_cannot_make_themselves_superuser(client, town_staff_a):
    client.force_login(town_staff_a)
    url = reverse("admin:accounts_user_change", args=[town_staff_a.pk])
    client.post(
        url, {"display_name": "我", "is_active": "on", "is_staff": "on", "is_superuser": "on"}
    )
    town_staff_a.refresh_from_db()
    assert not town_staff_a.is_superuser


def test_county_admins_cannot_grant_privileges_in_the_admin(client, county_admin, town_staff_a):
    client.force_login(county_admin)
    url = reverse("admin:accounts_user_change", args=[town_staff_a.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page
    client.post(url, {"display_name": "改名", "is_active": "on", "is_superuser": "on"})
    town_staff_a.refresh_from_db()
    assert not town_staff_a.is_superuser


def test_roles_and_tokens_cannot_be_added_or_changed_in_the_admin(client, town_staff_a, two_towns):
    client.force_login(town_staff_a)
    assert client.get(reverse("admin:accounts_roleassignment_add")).status_code == 403
    role = RoleAssignment.objects.get(user=town_staff_a)
    response = client.post(
        reverse("admin:accounts_roleassignment_change", args=[role.pk]),
        {"user": town_staff_a.pk, "role": Role.COUNTY_ADMIN, "region": two_towns["county"].pk},
    )
    assert response.status_code == 403
    assert RoleAssignment.objects.get(pk=role.pk).role == Role.TOWN_STAFF
    root = User.objects.create_superuser("root_t", password="x")
    token, _ = api_token_create(actor=root, name="t", region=two_towns["a"], can_write=False)
    response = client.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        {"name": "t", "region": two_towns["county"].pk, "can_write": "on"},
    )
    assert response.status_code == 403
    token.refresh_from_db()
    assert not token.can_write
    assert token.region == two_towns["a"]


def test_a_region_cannot_be_moved_or_added_through_the_admin(client, town_staff_a, two_towns):
    client.force_login(town_staff_a)
    community = two_towns["a"].children.get()
    assert client.get(reverse("admin:regions_region_add")).status_code == 403
    client.post(
        reverse("admin:regions_region_change", args=[community.pk]),
        {
            "name": "陵阳社区",
            "parent": two_towns["b"].pk,
            "code": "340223106999",
            "urban_rural_code": "111",
        },
    )
    community.refresh_from_db()
    assert community.parent == two_towns["a"]
    assert community.code == "340223100001"


def test_a_forged_forwarded_for_header_is_not_believed(client, county_admin, community_a, settings):
    from linli.core.models import AuditEntry

    settings.LINLI_TRUSTED_PROXIES = 0
    client.force_login(county_admin)
    client.post(
        reverse("admin:regions_region_change", args=[community_a.pk]),
        {"name": "陵阳社区（改）", "urban_rural_code": "111"},
        REMOTE_ADDR="10.0.0.7",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    entry = AuditEntry.objects.filter(object_pk=str(community_a.pk), action="update").latest("id")
    assert entry.ip_address == "10.0.0.7"
