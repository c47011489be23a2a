"""The case loop through its services: intake, every transition, rights, conflicts."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from linli.accounts.models import Role
from linli.accounts.sms import ConsoleSmsBackend
from linli.accounts.tests.factories import user_with_role
from linli.cases import selectors, services
from linli.cases.models import (
    Case,
    CaseAssignment,
    CaseEvent,
    CaseFollower,
    Notification,
    Source,
    Status,
)
from linli.cases.tests.factories import report
from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def _dispatched(resident, grid_a, town_staff_a, department, **kwargs):
    case = report(resident, grid_a)
    return services.case_dispatch(
        actor=town_staff_a, case_id=case.pk, department_ids=[department.pk], **kwargs
    )


def test_a_resident_reports_a_case(resident, grid_a):
    # when a resident reports a problem in their grid
    case = report(resident, grid_a, urgency="urgent")
    # then it is 已上报, from a resident, with the reporter known to staff
    assert case.status == Status.REPORTED
    assert case.source == Source.RESIDENT
    assert case.reporter == resident
    assert case.reporter_phone_masked == "138****0001"
    assert case.region_code == grid_a.code
    assert len(case.number) == 14
    # and the first event of its history says so
    event = case.events.get()
    assert event.action == CaseEvent.Action.REPORT
    assert event.actor == resident


def test_bad_input_is_refused_in_chinese_and_writes_nothing(resident, grid_a):
    with pytest.raises(ValidationFailed) as unknown:
        report(resident, grid_a, category_code="no-such")
    with pytest.raises(ValidationFailed) as short:
        report(resident, grid_a, description="脏")
    with pytest.raises(ValidationFailed) as nowhere:
        services.case_report(actor=resident, category_code="env", description="路灯不亮五天了")
    assert "分类" in unknown.value.message
    assert "至少" in short.value.message
    assert "位置" in nowhere.value.message
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_region_is_resolved_from_a_gcj02_point(resident, community_a, grid_a):
    # given the community's boundary around its centre, and its grid's centre
    community_a.boundary = {
        "type": "Polygon",
        "coordinates": [
            [[118.32, 30.91], [118.34, 30.91], [118.34, 30.93], [118.32, 30.93], [118.32, 30.91]]
        ],
    }
    community_a.save()
    grid_a.center_lng, grid_a.center_lat = 118.33, 30.92
    grid_a.save()
    from linli.cases.geo import wgs84_to_gcj02

    gcj = wgs84_to_gcj02(118.331, 30.921)
    # when a resident reports at a point picked on a GCJ-02 map
    case = services.case_report(
        actor=resident,
        category_code="muni-light",
        description="路灯不亮已经五天了",
        lng=gcj[0],
        lat=gcj[1],
        coord_system="gcj02",
    )
    # then the point is stored as WGS84 and the case lands in the grid
    assert case.region_code == grid_a.code
    assert abs(case.lng - 118.331) < 1e-5
    assert abs(case.lat - 30.921) < 1e-5


def _square(lng, lat, half):
    ring = [
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def test_overlapping_outlines_give_the_point_to_the_nearest_centre_or_the_nested_one(
    two_towns, community_a
):
    from linli.cases import selectors
    from linli.regions.models import Region

    # given two neighbouring communities whose outlines (of like size) overlap, the one with
    # the lower code to the west, and a small community nested inside the eastern one
    community_a.boundary = _square(118.330, 30.920, 0.006)
    community_a.center_lng, community_a.center_lat = 118.330, 30.920
    community_a.save()
    east = Region.objects.create(
        code="340223100002",
        name="城东社区",
        level="community",
        parent=two_towns["a"],
        boundary=_square(118.338, 30.920, 0.006),
        center_lng=118.338,
        center_lat=30.920,
    )
    nested = Region.objects.create(
        code="340223100003",
        name="东园小区社区",
        level="community",
        parent=two_towns["a"],
        boundary=_square(118.341, 30.923, 0.001),
        center_lng=118.341,
        center_lat=30.923,
    )
    selectors.region_cache_reset()

    # when points are placed in the overlap, nearer each centre, and inside the nested one
    # then each goes to the nearest centre, and the nested community wins inside its outline
    assert selectors.region_for_point(118.3355, 30.920).code == east.code
    assert selectors.region_for_point(118.3325, 30.920).code == community_a.code
    assert selectors.region_for_point(118.3412, 30.9231).code == nested.code


def test_a_point_outside_every_community_asks_for_a_choice(resident, two_towns):
    with pytest.raises(ValidationFailed) as error:
        services.case_report(
            actor=resident, category_code="env", description="这里有垃圾堆", lng=100.0, lat=40.0
        )
    assert error.value.code == "region_unresolved"


def test_staff_report_only_in_their_own_regions(town_staff_a, community_b, leader, grid_a):
    with pytest.raises((NotFound, Forbidden)):
        report(town_staff_a, community_b)
    with pytest.raises(Forbidden):
        report(leader, grid_a, source="hotline")  # leaders only read
    hotline = report(town_staff_a, grid_a, reporter_name="王先生", reporter_phone="13812345678")
    assert hotline.source == Source.HOTLINE
    assert hotline.reporter is None
    assert hotline.reporter_phone == "13812345678"


def test_the_whole_loop_to_a_satisfied_resident(
    resident, grid_a, town_staff_a, department, helper_department, handler, helper_handler
):
    # given a reported case
    case = report(resident, grid_a)
    # when the town accepts and dispatches it to two departments (城管 leads)
    services.case_accept(actor=town_staff_a, case_id=case.pk, version=case.version)
    case.refresh_from_db()
    services.case_dispatch(
        actor=town_staff_a,
        case_id=case.pk,
        department_ids=[department.pk, helper_department.pk],
        lead_department_id=department.pk,
        version=case.version,
    )
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    assert case.sign_deadline and case.resolve_deadline
    assert case.assignments.filter(role="lead", department=department).exists()
    assert case.assignments.filter(role="helper", department=helper_department).exists()
    # and the helper signs first: the case waits for its lead
    services.case_sign(actor=helper_handler, case_id=case.pk)
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    # and the lead signs, contacts, resolves
    services.case_sign(actor=handler, case_id=case.pk)
    services.case_contact(actor=handler, case_id=case.pk, note="已电话联系")
    services.case_resolve(actor=handler, case_id=case.pk, result="已清运完毕")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert case.responded_in_time is True
    assert case.handling_seconds is not None
    # and the resident is asked to rate, and rates it solved and satisfied
    assert Notification.objects.filter(user=resident, kind="rate", case=case).exists()
    services.case_rate(actor=resident, case_id=case.pk, is_solved=True, is_satisfied=True, score=5)
    case.refresh_from_db()
    # then the case is closed, and its history holds every step with from → to
    assert case.status == Status.CLOSED
    assert case.rating_channel == "resident"
    steps = [(e.action, e.from_status, e.to_status) for e in case.events.order_by("id")]
    assert steps[0] == ("report", "", "")
    assert ("accept", "reported", "accepted") in steps
    assert ("dispatch", "accepted", "dispatched") in steps
    assert ("sign", "dispatched", "signed") in steps
    assert ("contact", "signed", "in_progress") in steps
    assert ("resolve", "in_progress", "resolved") in steps
    assert steps[-1] == ("rate", "resolved", "closed")


def test_not_solved_reopens_the_case_to_the_same_handler(
    resident, grid_a, town_staff_a, department, handler
):
    case = _dispatched(resident, grid_a, town_staff_a, department)
    services.case_sign(actor=handler, case_id=case.pk)
    services.case_resolve(actor=handler, case_id=case.pk, result="已处理")
    # when the resident says it is not solved
    services.case_rate(
        actor=resident, case_id=case.pk, is_solved=False, is_satisfied=False, score=1
    )
    case.refresh_from_db()
    # then it is back in the lead's hands with a fresh limit, and the rating still counts
    assert case.status == Status.IN_PROGRESS
    assert case.reopened_count == 1
    assert case.is_solved is False and case.rated_at is not None
    assert case.assignments.get(role="lead").state == CaseAssignment.State.SIGNED
    assert case.events.filter(action="reopen").exists()
    assert Notification.objects.filter(user=handler, case=case, title__contains="重新打开").exists()


def test_rejecting_as_not_ours_needs_the_right_channel(resident, grid_a, town_staff_a):
    case = report(resident, grid_a)
    with pytest.raises(ValidationFailed):
        services.case_reject(
            actor=town_staff_a, case_id=case.pk, reason="not_ours", note="属于法院"
        )
    services.case_reject(
        actor=town_staff_a,
        case_id=case.pk,
        reason="not_ours",
        note="属于司法诉讼事项",
        redirect_to="县人民法院诉讼服务中心",
    )
    case.refresh_from_db()
    assert case.status == Status.REJECTED
    assert Notification.objects.filter(user=resident, kind="result").exists()


def test_a_wrongly_dispatched_case_is_returned_to_the_dispatcher(
    resident, grid_a, town_staff_a, department, handler
):
    case = _dispatched(resident, grid_a, town_staff_a, department)
    # when the department returns it with a reason
    services.case_return(actor=handler, case_id=case.pk, reason="不属于城管职责，应由供电公司处理")
    case.refresh_from_db()
    # then it waits for another dispatch, and the dispatcher hears why
    assert case.status == Status.ACCEPTED
    assert case.assignments.get().state == CaseAssignment.State.RETURNED
    assert Notification.objects.filter(user=town_staff_a, kind="returned").exists()
    # and a reason is required
    with pytest.raises(Forbidden):
        services.case_return(actor=handler, case_id=case.pk, reason="再退一次")


def test_grid_whistle_goes_to_the_town_which_dispatches_departments(
    resident,
    grid_a,
    community_worker,
    grid_worker,
    town_staff_a,
    department,
    helper_department,
    handler,
    helper_handler,
):
    # given a case dispatched to the grid worker, who signs for it
    case = report(resident, grid_a)
    services.case_dispatch(actor=community_worker, case_id=case.pk, worker_id=grid_worker.pk)
    services.case_sign(actor=grid_worker, case_id=case.pk)
    # when the grid worker blows the whistle (网格吹哨)
    services.case_escalate(actor=grid_worker, case_id=case.pk, note="涉及多个部门，网格无法解决")
    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    assert Notification.objects.filter(user=town_staff_a, kind="escalated").exists()
    # then the community cannot dispatch it, the town can, to a lead and a helper
    with pytest.raises(Forbidden):
        services.case_dispatch(
            actor=community_worker, case_id=case.pk, department_ids=[department.pk]
        )
    services.case_dispatch(
        actor=town_staff_a,
        case_id=case.pk,
        department_ids=[department.pk, helper_department.pk],
        lead_department_id=department.pk,
    )
    rows = {a.department_id: a for a in case.assignments.filter(state="pending")}
    assert rows[department.pk].role == "lead" and rows[helper_department.pk].role == "helper"
    assert all(a.sign_deadline for a in rows.values())
    # and each department signs (报到) for itself
    services.case_sign(actor=helper_handler, case_id=case.pk)
    services.case_sign(actor=handler, case_id=case.pk)
    assert case.assignments.filter(state="signed").count() == 2


def test_acting_on_a_stale_version_is_a_conflict(resident, grid_a, town_staff_a, community_worker):
    case = report(resident, grid_a)
    seen = case.version
    services.case_accept(actor=town_staff_a, case_id=case.pk, version=seen)
    # when a second operator acts on what they saw before
    with pytest.raises(Conflict) as error:
        services.case_reject(
            actor=community_worker, case_id=case.pk, reason="invalid", note="无效", version=seen
        )
    # then they get a clear 409 and nothing changes
    assert error.value.status == 409
    assert "刚被他人处理" in error.value.message
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    # while the operator who acted, on a stale second tab, is told it was them
    with pytest.raises(Conflict) as own:
        services.case_reject(
            actor=town_staff_a, case_id=case.pk, reason="invalid", note="无效", version=seen
        )
    assert own.value.message.startswith("您刚在另一个页面处理过该案件（当前状态：已受理）")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the shared in-memory SQLite test database refuses a second writer outright "
    "(SQLITE_LOCKED) instead of waiting; the file database of a real server waits "
    "(busy_timeout) and the stale-version test above covers the outcome",
)
def test_two_people_acting_at_once_one_wins(two_towns, grid_a, community_a):
    resident = user_with_role(Role.RESIDENT, community_a, username="r1", phone="13800000011")
    first = user_with_role(Role.TOWN_STAFF, two_towns["a"], username="op1")
    second = user_with_role(Role.COMMUNITY_WORKER, community_a, username="op2")
    case = report(resident, grid_a)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def act(actor, action):
        try:
            barrier.wait()
            if action == "accept":
                services.case_accept(actor=actor, case_id=case.pk, version=case.version)
            else:
                services.case_reject(
                    actor=actor,
                    case_id=case.pk,
                    reason="invalid",
                    note="无效",
                    version=case.version,
                )
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(first, "accept")),
        threading.Thread(target=act, args=(second, "reject")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    case.refresh_from_db()
    assert case.version == 2
    assert case.events.count() == 2


def test_other_towns_and_residents_cannot_act(
    resident, other_resident, grid_a, town_staff_b, leader, town_staff_a
):
    case = report(resident, grid_a)
    with pytest.raises(NotFound):
        services.case_accept(actor=town_staff_b, case_id=case.pk)
    with pytest.raises(NotFound):
        services.case_accept(actor=other_resident, case_id=case.pk)
    with pytest.raises(Forbidden):
        services.case_accept(actor=leader, case_id=case.pk)
    with pytest.raises(Forbidden):
        services.case_accept(actor=resident, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


def test_events_are_immutable(resident, grid_a):
    event = report(resident, grid_a).events.get()
    event.note = "改写历史"
    with pytest.raises(ValueError):
        event.save()


def test_a_patrol_finding_is_handled_on_the_spot(grid_worker, grid_a):
    case = report(grid_worker, grid_a, self_handle=True)
    assert case.source == Source.PATROL
    assert case.status == Status.IN_PROGRESS
    assert case.responded_in_time is True
    services.case_resolve(actor=grid_worker, case_id=case.pk, result="已现场劝离并清理")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_a_department_sees_only_the_cases_sent_to_it(
    resident, grid_a, town_staff_a, department, handler, helper_handler, community_worker
):
    # given one case sent to 城管 and one nobody has dispatched yet
    sent = _dispatched(resident, grid_a, town_staff_a, department)
    waiting = report(resident, grid_a, description="楼道里的灯坏了一个多星期了")

    # then 城管's handler (a role held at the county) sees the first and not the second
    assert set(selectors.case_visible(handler).values_list("pk", flat=True)) == {sent.pk}
    assert selectors.case_get_visible(handler, sent.pk) == sent
    with pytest.raises(NotFound):
        selectors.case_get_visible(handler, waiting.pk)
    # another department sees neither, while the community sees both
    assert not selectors.case_visible(helper_handler).exists()
    assert {sent.pk, waiting.pk} <= set(
        selectors.case_visible(community_worker).values_list("pk", flat=True)
    )


def test_who_handled_a_case_may_not_rate_it(grid_worker, community_worker, grid_a):
    # given a grid worker's patrol finding, handled and closed by them on the spot
    case = report(grid_worker, grid_a, self_handle=True)
    services.case_resolve(actor=grid_worker, case_id=case.pk, result="已现场清理")
    case.refresh_from_db()

    # then nobody asks them to rate their own work, the page offers no rating, and a try fails
    assert not Notification.objects.filter(user=grid_worker, kind="rate").exists()
    assert "rate" not in services.case_allowed_actions(grid_worker, case)
    with pytest.raises(Forbidden, match="办理人不能评价自己办理的案件"):
        services.case_rate(
            actor=grid_worker, case_id=case.pk, is_solved=True, is_satisfied=True, score=5
        )
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.rated_at is None

    # while the community's callback rates it
    assert "rate" in services.case_allowed_actions(community_worker, case)
    services.case_rate(
        actor=community_worker, case_id=case.pk, is_solved=True, is_satisfied=True, score=4
    )
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating_channel == "callback"


def test_supervision_and_extension(resident, grid_a, town_staff_a, department, handler):
    case = _dispatched(resident, grid_a, town_staff_a, department)
    services.case_sign(actor=handler, case_id=case.pk)
    services.case_supervise(actor=town_staff_a, case_id=case.pk, note="请今天内处理")
    assert Notification.objects.filter(user=handler, kind="supervise").exists()
    with pytest.raises(Forbidden):
        services.case_supervise(actor=handler, case_id=case.pk, note="自己督办自己")
    # when the lead asks for 8 more hours and the town approves
    before = Case.objects.get(pk=case.pk).resolve_deadline
    services.case_extension_request(actor=handler, case_id=case.pk, hours=8, reason="需要采购配件")
    with pytest.raises(Conflict):
        services.case_extension_request(actor=handler, case_id=case.pk, hours=8, reason="再来一次")
    services.case_extension_decide(actor=town_staff_a, case_id=case.pk, approve=True, note="同意")
    case.refresh_from_db()
    assert case.resolve_deadline > before
    assert case.extension_hours is None
    assert case.supervised_count == 1


def test_merging_a_duplicate_keeps_both_reporters_informed(
    resident, other_resident, grid_a, town_staff_a, department, handler
):
    first = report(resident, grid_a)
    second = report(other_resident, grid_a)
    services.case_merge(actor=town_staff_a, case_id=second.pk, into_case_id=first.pk)
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into_id == first.pk
    assert CaseFollower.objects.filter(case=first, user=other_resident).exists()
    services.case_dispatch(actor=town_staff_a, case_id=first.pk, department_ids=[department.pk])
    services.case_sign(actor=handler, case_id=first.pk)
    services.case_resolve(actor=handler, case_id=first.pk, result="已清运")
    rated = Notification.objects.filter(case=first, kind="rate").values_list("user", flat=True)
    assert set(rated) == {resident.pk, other_resident.pk}
    # and the follower may rate as well
    services.case_rate(
        actor=other_resident, case_id=first.pk, is_solved=True, is_satisfied=True, score=4
    )
    assert Case.objects.get(pk=first.pk).status == Status.CLOSED


def test_dispatch_sends_a_text_to_the_department(
    resident, grid_a, town_staff_a, department, handler, django_capture_on_commit_callbacks
):
    # the texts leave after the commit, through the worker
    with django_capture_on_commit_callbacks(execute=True):
        _dispatched(resident, grid_a, town_staff_a, department)
    texts = [m for p, m in ConsoleSmsBackend.outbox if p == "13900000002"]
    assert texts and "新派单" in texts[0]


def test_dispatch_targets_are_checked(resident, grid_a, town_staff_a, two_towns, grid_worker):
    from linli.orgs.models import Organisation

    case = report(resident, grid_a)
    elsewhere = Organisation.objects.create(
        region=two_towns["b"], name="三里镇城管中队", kind=Organisation.Kind.DEPARTMENT
    )
    stranger = user_with_role(
        Role.GRID_WORKER, two_towns["b"].children.first().children.first(), username="gb"
    )
    with pytest.raises(ValidationFailed):
        services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[elsewhere.pk])
    with pytest.raises(ValidationFailed):
        services.case_dispatch(actor=town_staff_a, case_id=case.pk, worker_id=stranger.pk)
    with pytest.raises(ValidationFailed):
        services.case_dispatch(actor=town_staff_a, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED
    services.case_dispatch(actor=town_staff_a, case_id=case.pk, worker_id=grid_worker.pk)
    assert Case.objects.get(pk=case.pk).status == Status.DISPATCHED


def test_photos_are_prepared_before_any_transaction_is_opened(
    resident, grid_a, town_staff_a, department, handler, monkeypatch
):
    # given a spy on the image work (seconds for large phone photos), noting how deep in
    # transactions it runs: on SQLite a transaction holds the county's only write lock
    from linli.cases import photos
    from linli.cases.tests.factories import jpeg_bytes

    outside = len(connection.atomic_blocks)  # the test's own transaction
    depths: list[int] = []
    real_prepare = photos.photo_prepare

    def spy(upload):
        depths.append(len(connection.atomic_blocks))
        return real_prepare(upload)

    monkeypatch.setattr(photos, "photo_prepare", spy)

    # when a resident reports with two photos and the lead resolves with one
    case = report(resident, grid_a, photo_uploads=[jpeg_bytes(), jpeg_bytes(size=(80, 60))])
    services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[department.pk])
    services.case_sign(actor=handler, case_id=case.pk)
    services.case_resolve(
        actor=handler, case_id=case.pk, result="已清运", photo_uploads=[jpeg_bytes()]
    )

    # then every photo was decoded outside the services' transactions, and all were stored
    assert depths == [outside, outside, outside]
    assert case.photos.filter(kind="report").count() == 2
    assert case.photos.filter(kind="result").count() == 1

    # and a bad photo on a case the person may not see answers 404, not a photo error
    stranger = user_with_role(Role.RESIDENT, grid_a.parent, username="stranger")
    with pytest.raises(NotFound):
        services.case_progress(
            actor=stranger, case_id=case.pk, note="看看", photo_uploads=[b"not an image"]
        )


def test_records_keep_the_sites_language_whoever_acts(
    resident, grid_a, town_staff_a, department, handler
):
    from django.utils import translation

    case = report(resident, grid_a)
    with translation.override("en"):  # a staff member reading the English pages
        services.case_dispatch(actor=town_staff_a, case_id=case.pk, department_ids=[department.pk])
    event = CaseEvent.objects.filter(case=case, action="dispatch").get()
    assert event.data["targets"] == [f"{department.name}（主办）"]
    # and a Chinese error names the status in Chinese, not "Dispatched" inside the sentence
    with translation.override("en"), pytest.raises(Conflict) as error:
        services.case_accept(actor=town_staff_a, case_id=case.pk)
    assert "“已派单”" in error.value.message
    message = Notification.objects.filter(user=handler, case=case).latest("id")
    assert message.title.startswith("新派单（主办）")
