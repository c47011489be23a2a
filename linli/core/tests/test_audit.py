import pytest
from django.urls import reverse

from linli.accounts.models import Role, User
from linli.accounts.services import user_create
from linli.core.models import AuditEntry
from linli.regions.services import region_update


@pytest.mark.django_db
def test_a_change_records_who_what_before_and_after(county_admin, community_a):
    # when a county admin renames a community through the service
    region_update(actor=county_admin, code=community_a.code, data={"name": "陵阳新社区"})
    # then the audit log has the change with before and after
    entry = AuditEntry.objects.filter(model_label="regions.Region", action="update").latest("id")
    assert entry.changes["changed"]["name"] == ["陵阳社区", "陵阳新社区"]
    assert entry.region_code == community_a.code


@pytest.mark.django_db
def test_pii_is_masked_in_the_log(county_admin, town_a):
    user = user_create(
        actor=county_admin,
        username="zhangsan",
        display_name="张三",
        phone="13812345678",
        role=Role.TOWN_STAFF,
        region=town_a,
    )
    entry = AuditEntry.objects.get(
        model_label="accounts.User", object_pk=str(user.pk), action="create"
    )
    text = str(entry.changes)
    assert "13812345678" not in text
    assert "138****5678" in text
    assert "phone_hash" not in text


@pytest.mark.django_db
def test_a_change_over_http_records_the_actor_and_ip(client, two_towns):
    # given a superuser editing a region in the admin from a known address
    root = User.objects.create_superuser("root", password="pw")
    client.force_login(root)
    town = two_towns["a"]
    url = reverse("admin:regions_region_change", args=[town.pk])
    form = {
        "code": town.code,
        "name": "籍山镇（改）",
        "level": "town",
        "parent": town.parent_id,
        "urban_rural_code": "",
    }
    response = client.post(url, form, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_pk=str(town.pk), action="update").latest("id")
    assert entry.actor == root
    assert entry.ip_address == "10.1.2.3"
    assert entry.changes["changed"]["name"][1] == "籍山镇（改）"


@pytest.mark.django_db
def test_the_audit_page_lists_entries_with_filters(client, county_admin, community_a):
    region_update(actor=county_admin, code=community_a.code, data={"name": "陵阳新社区"})
    client.force_login(county_admin)
    response = client.get(reverse("admin:core_auditentry_changelist") + "?action__exact=update")
    assert response.status_code == 200
    assert "陵阳新社区" in response.content.decode()
