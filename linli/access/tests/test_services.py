"""The computation from registry rows to stored coverage, on the tiny street of factories.py."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.access import engine, osm, selectors, services
from linli.access.models import AccessLayer, AccessRun, Coverage, LifeCircle, WalkNetwork
from linli.access.tests.factories import LAT, lane_geojson, lng, make_street, steps_m
from linli.core.errors import ApplicationError
from linli.core.scoping import scope_of
from linli.facilities.models import Facility
from linli.facilities.tests.factories import facility_type


@pytest.fixture
def street(two_towns, community_a, community_b):
    return make_street(two_towns, community_a, community_b)


def _lane(street):
    return services.network_activate(
        county=street.county,
        network=osm.network_from_geojson(lane_geojson()),
        name="幸福路",
        source=WalkNetwork.Source.GEOJSON,
    )


def _row(region, code="elderly_station"):
    return Coverage.objects.get(region=region, facility_type__code=code)


def test_refresh_stores_walking_distances_and_community_coverage(street, community_a, community_b):
    # given the lane as the county's network
    _lane(street)
    # when the county is computed
    report = services.access_refresh(county=street.county)
    # then each home's walk to the elderly station is the lane's length between them
    buildings = selectors.residential_buildings(street.county)
    distance = selectors.layer_distances(street.county, buildings)[
        facility_type("elderly_station").pk
    ]
    by_id = dict(zip(buildings.ids.tolist(), distance.tolist(), strict=True))
    assert by_id[street.b1.pk] == pytest.approx(steps_m(2), abs=0.01)
    assert by_id[street.b2.pk] == pytest.approx(steps_m(1), abs=0.01)
    assert by_id[street.b3.pk] == pytest.approx(steps_m(13), abs=0.01)
    assert report.approximate is False and "elderly_station" in report.layers_recomputed
    # and community A (B1: 2 people, B2: 3) is fully within 300 m; community B (B3) is not
    a, b = _row(community_a), _row(community_b)
    assert (a.population, a.population_within, a.households_outside) == (5, 5, 0)
    assert (b.population, b.population_within, b.households_outside, b.elderly_outside) == (
        1,
        0,
        1,
        1,
    )
    # and at the elderly speed (3 km/h: 225 m) B1's elder (2 steps, 190.8 m) is in, nobody else out
    assert a.elderly == 2 and a.elderly_outside == 0 and a.elderly_outside_slow == 0


def test_elderly_speed_leaves_the_farther_elder_outside(street, community_a):
    # given the station moved one step east: B1 walks 3 steps (286 m), B2 none
    Facility.objects.filter(pk=street.station.pk).update(lng=lng(3))
    _lane(street)
    services.access_refresh(county=street.county)
    a = _row(community_a)
    # then both homes are within 300 m at 4 km/h, but B1's elder is outside 225 m at 3 km/h
    assert steps_m(3) < 300 and steps_m(3) > 225
    assert a.population_within == 5
    assert a.elderly_outside == 0 and a.elderly_outside_slow == 1


def test_refresh_recomputes_only_the_types_that_changed(street):
    _lane(street)
    first = services.access_refresh(county=street.county)
    assert len(first.layers_recomputed) > 1
    # when nothing changed
    again = services.access_refresh(county=street.county)
    # then no layer is recomputed
    assert again.layers_recomputed == []
    # when a clinic opens, only the clinic layer is recomputed
    Facility.objects.create(
        region=street.station.region,
        type=facility_type("clinic"),
        name="卫生室",
        lng=lng(1),
        lat=LAT,
        status=Facility.Status.OPERATING,
    )
    third = services.access_refresh(county=street.county)
    assert third.layers_recomputed == ["clinic"]
    # and closing the station recomputes the station's layer
    Facility.objects.filter(pk=street.station.pk).update(status=Facility.Status.CLOSED)
    assert services.access_refresh(county=street.county).layers_recomputed == ["elderly_station"]


def test_without_a_network_the_distances_are_straight_lines_flagged_approximate(
    street, community_a
):
    report = services.access_refresh(county=street.county)
    assert report.approximate is True
    layer = AccessLayer.objects.get(county=street.county, facility_type__code="elderly_station")
    assert layer.approximate is True
    distances = np.frombuffer(bytes(layer.distance_m), dtype="<f4")
    ids = np.frombuffer(bytes(layer.building_ids), dtype="<i8").tolist()
    straight = float(engine.haversine_m(lng(0), LAT, lng(2), LAT))
    assert distances[ids.index(street.b1.pk)] == pytest.approx(straight * 1.3, rel=1e-5)
    assert _row(community_a).approximate is True


def test_circle_needs_every_service_within_its_distance(street, community_a):
    # given the 15-minute circle: 综合服务, 医疗卫生, 养老服务, 文化活动 within 1000 m
    circle = LifeCircle.objects.get(code="life-15")
    _lane(street)
    services.access_refresh(county=street.county)
    # then with only an elderly station nobody is inside the circle
    row = Coverage.objects.get(region=community_a, circle=circle)
    assert (row.population, row.population_within) == (5, 0)
    # when the other three services open at node 5 (B1: 5 steps, B2: 2 steps)
    for code in ("party_service_center", "clinic", "culture_room"):
        Facility.objects.create(
            region=community_a,
            type=facility_type(code),
            name=code,
            lng=lng(5),
            lat=LAT,
            status=Facility.Status.OPERATING,
        )
    services.access_refresh(county=street.county)
    # then both homes of A are inside the circle
    row = Coverage.objects.get(region=community_a, circle=circle)
    assert row.population_within == 5


def test_network_upload_runs_import_and_refresh(
    street, county_admin, django_capture_on_commit_callbacks
):
    # given a county admin uploading the lane (tests run tasks immediately on commit)
    upload = SimpleUploadedFile("lane.geojson", lane_geojson(), content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):
        run = services.network_import_start(
            scope=scope_of(county_admin), county=street.county, upload=upload, actor=county_admin
        )
    run.refresh_from_db()
    # then the run is done, the network active and the layers computed from it
    assert run.status == AccessRun.Status.DONE, run.message
    network = WalkNetwork.objects.get(county=street.county, is_active=True)
    assert network.node_count == 21 and network.edge_count == 20
    assert AccessLayer.objects.filter(network=network).exists()


def test_a_bad_network_file_fails_clearly_and_keeps_the_old_network(
    street, county_admin, django_capture_on_commit_callbacks
):
    old = _lane(street)
    upload = SimpleUploadedFile("bad.geojson", b'{"type": "Point"}')
    with django_capture_on_commit_callbacks(execute=True):
        run = services.network_import_start(
            scope=scope_of(county_admin), county=street.county, upload=upload, actor=county_admin
        )
    run.refresh_from_db()
    assert run.status == AccessRun.Status.FAILED
    assert any("\u4e00" <= ch <= "\u9fff" for ch in run.message)  # a Chinese message
    assert WalkNetwork.objects.get(is_active=True).pk == old.pk


def test_only_a_county_writer_may_import_or_change_settings(street, town_staff_a):
    upload = SimpleUploadedFile("lane.geojson", lane_geojson())
    with pytest.raises(ApplicationError) as error:
        services.network_import_start(
            scope=scope_of(town_staff_a), county=street.county, upload=upload
        )
    assert error.value.status == 403
    assert not AccessRun.objects.exists()


def test_settings_are_validated_in_chinese(street, county_admin):
    with pytest.raises(ApplicationError) as error:
        services.access_settings_update(
            scope=scope_of(county_admin),
            county=street.county,
            values={"walk_speed_kmh": "快", "cutoff_m": "50"},
        )
    assert set(error.value.detail) == {"walk_speed_kmh", "cutoff_m"}
    assert services.settings_for(street.county).walk_speed_kmh == 4.0
    services.access_settings_update(
        scope=scope_of(county_admin), county=street.county, values={"elderly_speed_kmh": "2.5"}
    )
    assert services.settings_for(street.county).elderly_speed_kmh == 2.5


def test_the_periodic_refresh_follows_a_moved_facility(street, community_a):
    from linli.access.tasks import access_refresh_stale

    _lane(street)
    # nothing is computed before anyone asks: the periodic task leaves the county alone
    assert access_refresh_stale.call() == ""
    services.access_refresh(county=street.county)
    assert _row(community_a).population_within == 5
    # when the station moves to the far end of the lane
    Facility.objects.filter(pk=street.station.pk).update(lng=lng(20))
    line = access_refresh_stale.call()
    # then the periodic task recomputes that type only and the coverage follows
    assert "已重新计算 1 类设施" in line
    assert _row(community_a).population_within == 0
