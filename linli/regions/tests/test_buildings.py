import httpx
import pytest
from django.urls import reverse

from linli.accounts.models import Role, User
from linli.accounts.services import api_token_create
from linli.accounts.tests.factories import user_with_role
from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.scoping import Scope
from linli.regions import selectors, services
from linli.regions.models import Building


@pytest.fixture
def worker(community_a):
    return user_with_role(Role.COMMUNITY_WORKER, community_a, username="bld_worker")


@pytest.mark.django_db
def test_a_building_is_registered_in_a_grid_or_community(worker, county_admin, grid_a, town_a):
    building = services.building_create(
        actor=worker,
        region_code=grid_a.code,
        name="3栋",
        address="陵阳路3号",
        floors=6,
        lng=118.3,
        lat=30.9,
    )
    assert (building.region_code, building.floors, building.kind) == (grid_a.code, 6, "residential")
    with pytest.raises(ValidationFailed) as exc:
        services.building_create(actor=county_admin, region_code=town_a.code, name="x", address="y")
    assert exc.value.message == "楼栋应登记在网格或社区/村，不能直接登记在镇/街道"


@pytest.mark.django_db
def test_bad_building_values_are_reported_in_chinese(worker, grid_a):
    with pytest.raises(ValidationFailed) as exc:
        services.building_create(
            actor=worker, region_code=grid_a.code, name="", address="", floors=0, lng=200, lat=None
        )
    fields = exc.value.detail["fields"]
    assert fields["name"] == "楼栋名称不能为空"
    assert fields["address"] == "地址不能为空"
    assert fields["floors"] == "层数应在1至200之间"
    assert fields["lng"] == "经度应在73至136之间"
    with pytest.raises(ValidationFailed) as exc:
        services.building_create(
            actor=worker, region_code=grid_a.code, name="1", address="2", lng=118.0
        )
    assert exc.value.detail["fields"]["lat"] == "经度和纬度应同时填写"
    assert Building.objects.count() == 0


@pytest.mark.django_db
def test_the_address_is_unique_in_its_region(worker, grid_a):
    services.building_create(actor=worker, region_code=grid_a.code, name="1栋", address="陵阳路1号")
    with pytest.raises(Conflict):
        services.building_create(
            actor=worker, region_code=grid_a.code, name="2栋", address="陵阳路1号"
        )


@pytest.mark.django_db
def test_who_may_write_buildings(worker, leader, grid_a, community_b, two_towns):
    grid_worker = user_with_role(Role.GRID_WORKER, grid_a, username="bld_grid")
    with pytest.raises(Forbidden):
        services.building_create(actor=grid_worker, region_code=grid_a.code, name="1", address="2")
    with pytest.raises(Forbidden):
        services.building_create(actor=leader, region_code=grid_a.code, name="1", address="2")
    with pytest.raises(NotFound):
        services.building_create(actor=worker, region_code=community_b.code, name="1", address="2")
    token_scope = Scope(prefixes=(grid_a.code,), can_write=True)
    assert services.building_create(
        actor=token_scope, region_code=grid_a.code, name="1", address="2"
    )


@pytest.mark.django_db
def test_a_building_moves_only_within_its_community(
    worker, county_admin, grid_a, community_a, community_b
):
    building = services.building_create(
        actor=worker, region_code=grid_a.code, name="1", address="x路1号"
    )
    services.building_update(
        actor=worker, building=building, data={"region_code": community_a.code, "floors": "12"}
    )
    building.refresh_from_db()
    assert (building.region_code, building.floors) == (community_a.code, 12)
    with pytest.raises(ValidationFailed) as exc:
        services.building_update(
            actor=county_admin, building=building, data={"region_code": community_b.code}
        )
    assert exc.value.detail["fields"]["region"] == "楼栋只能调整到同一社区/村内的网格"
    with pytest.raises(ValidationFailed):
        services.building_update(actor=worker, building=building, data={"id": 5})


@pytest.mark.django_db
def test_buildings_are_listed_by_address_within_the_scope(grid_a, community_b):
    Building.objects.create(region=grid_a, name="1栋", address="陵阳路1号")
    Building.objects.create(region=grid_a, name="2栋", address="陵阳路2号")
    Building.objects.create(region=community_b, name="1栋", address="澄桥路1号")
    town_a = Scope(prefixes=("340223100",))
    assert [b.address for b in selectors.building_list(town_a)] == ["陵阳路1号", "陵阳路2号"]
    assert [b.address for b in selectors.building_list(town_a, query="2号")] == ["陵阳路2号"]
    assert list(selectors.building_list(town_a, query="澄桥")) == []
    assert [b.address for b in selectors.building_options(town_a, grid_a.code)] == [
        "陵阳路1号",
        "陵阳路2号",
    ]
    with pytest.raises(NotFound):
        selectors.building_get_visible(town_a, Building.objects.get(address="澄桥路1号").pk)


@pytest.mark.django_db
def test_building_pages(client, worker, leader, grid_a, community_b):
    other = Building.objects.create(region=community_b, name="1栋", address="澄桥路1号")
    client.force_login(worker)
    response = client.post(
        reverse("regions:building_create"),
        {"region": grid_a.code, "name": "", "address": "", "kind": "residential"},
    )
    assert "楼栋名称不能为空" in response.content.decode()
    response = client.post(
        reverse("regions:building_create"),
        {
            "region": grid_a.code,
            "name": "5栋",
            "address": "陵阳路5号",
            "kind": "mixed",
            "floors": "18",
        },
    )
    building = Building.objects.get(address="陵阳路5号")
    assert response["Location"] == reverse("regions:building_detail", args=[building.pk])
    html = client.get(reverse("regions:building_list") + "?q=陵阳").content.decode()
    assert "陵阳路5号" in html and "澄桥路1号" not in html
    detail = client.get(reverse("regions:building_detail", args=[building.pk])).content.decode()
    assert "商住混合" in detail
    assert f"?building={building.pk}" in detail  # link to its households
    response = client.post(
        reverse("regions:building_edit", args=[building.pk]),
        {
            "region": grid_a.code,
            "name": "5栋",
            "address": "陵阳路5号",
            "kind": "mixed",
            "floors": "20",
        },
    )
    building.refresh_from_db()
    assert building.floors == 20
    assert client.get(reverse("regions:building_detail", args=[other.pk])).status_code == 404
    client.force_login(leader)
    assert client.get(reverse("regions:building_list")).status_code == 200
    assert client.get(reverse("regions:building_create")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_building_api(live_server, grid_a):
    root = User.objects.create_superuser("bld_root", password="x")
    _, raw = api_token_create(actor=root, name="t", region=grid_a.parent, can_write=True)
    headers = {"Authorization": f"Bearer {raw}"}
    response = httpx.post(
        live_server.url + "/api/regions/buildings/",
        headers=headers,
        json={"region_code": grid_a.code, "name": "7栋", "address": "陵阳路7号", "floors": 5},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["kind_label"] == "住宅"
    response = httpx.patch(
        live_server.url + f"/api/regions/buildings/{created['id']}",
        headers=headers,
        json={"units": 3},
        timeout=10,
    )
    assert response.json()["units"] == 3
    listed = httpx.get(
        live_server.url + "/api/regions/buildings/?q=陵阳路7", headers=headers, timeout=10
    ).json()
    assert [b["address"] for b in listed["items"]] == ["陵阳路7号"]
    response = httpx.post(
        live_server.url + "/api/regions/buildings/",
        headers=headers,
        json={"region_code": grid_a.code, "name": "", "address": "陵阳路7号"},
        timeout=10,
    )
    assert response.status_code == 422
    assert response.json()["detail"]["fields"]["name"] == "楼栋名称不能为空"
