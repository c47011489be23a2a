"""Clear 身份证号 and phone numbers appear nowhere — pages, API, admin, audit log, logs — until a
permitted person reveals one with a reason; then exactly there, and recorded."""

import json
import logging
from datetime import date

import pytest
from django.urls import reverse

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.core.errors import Forbidden, NotFound, ValidationFailed
from linli.core.models import AuditEntry, PiiReveal
from linli.core.pii import mask_id_number, mask_phone
from linli.people import services
from linli.people.models import Household, Resident
from linli.people.tests.factories import id_number_for

pytestmark = pytest.mark.django_db

ID_NUMBER = id_number_for(date(1958, 8, 8), "F", serial=123)
PHONE = "13912345678"
HOUSEHOLD_PHONE = "13587654321"
SECRETS = (ID_NUMBER, PHONE, HOUSEHOLD_PHONE, PHONE[3:], ID_NUMBER[6:14] + ID_NUMBER[14:])


@pytest.fixture
def worker(community_a):
    return user_with_role(Role.COMMUNITY_WORKER, community_a, username="worker_pii")


@pytest.fixture
def grid_worker(grid_a):
    return user_with_role(Role.GRID_WORKER, grid_a, username="grid_pii")


@pytest.fixture
def resident(worker, grid_a) -> Resident:
    household = services.household_create(
        actor=worker,
        region_code=grid_a.code,
        number="P1",
        address="陵阳路9号",
        phone=HOUSEHOLD_PHONE,
    )
    return services.resident_create(
        actor=worker,
        household=household,
        name="王秀英",
        gender="F",
        birth_date=date(1958, 8, 8),
        id_number=ID_NUMBER,
        phone=PHONE,
        relation="head",
        tags=["living_alone"],
    )


def _assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"clear PII {secret!r} leaked in {where}"


def test_clear_pii_appears_nowhere_until_revealed(
    client, resident, worker, grid_worker, county_admin, caplog
):
    caplog.set_level(logging.DEBUG)
    household = resident.household
    masked_id, masked_phone = mask_id_number(ID_NUMBER), mask_phone(PHONE)

    # --- pages, as the community worker (who could reveal) and as the grid worker ---------
    client.force_login(worker)
    pages = {
        "list": reverse("people:resident_list"),
        "list by name": reverse("people:resident_list") + "?q=王秀英&status=all",
        "list by pinyin": reverse("people:resident_list") + "?q=wxy",
        "detail": reverse("people:resident_detail", args=[resident.pk]),
        "edit": reverse("people:resident_edit", args=[resident.pk]),
        "households": reverse("people:household_list"),
        "household": reverse("people:household_detail", args=[household.pk]),
        "household edit": reverse("people:household_edit", args=[household.pk]),
        "reveal form": reverse("people:resident_reveal", args=[resident.pk, "id_number"]),
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        _assert_clean(response.content.decode(), where)
    detail = client.get(pages["detail"]).content.decode()
    assert masked_id in detail and masked_phone in detail
    # an exact lookup by ID number finds her without writing the number back
    response = client.post(reverse("people:resident_list"), {"pii_q": ID_NUMBER})
    assert "王秀英" in response.content.decode()
    _assert_clean(response.content.decode(), "lookup answer")
    # typed into the name box without JavaScript: stashed server-side, the page comes back clean
    response = client.get(reverse("people:resident_list") + f"?q={PHONE}&status=all")
    assert response.status_code == 302
    _assert_clean(response["Location"], "redirect")
    response = client.get(response["Location"])
    assert "王秀英" in response.content.decode()
    _assert_clean(response.content.decode(), "list searched by phone")
    # a failed edit does not send the typed values back either
    response = client.post(
        pages["edit"],
        {
            "name": "",
            "gender": "F",
            "birth_date": "1958-08-08",
            "id_number": ID_NUMBER,
            "phone": PHONE,
            "relation": "head",
            "residence_type": "registered",
        },
    )
    assert "姓名不能为空" in response.content.decode()
    _assert_clean(response.content.decode(), "edit form with errors")

    client.force_login(grid_worker)
    for where, url in {
        "my grid": reverse("people:my_grid"),
        "grid edit": pages["edit"],
        "grid detail": pages["detail"],
    }.items():
        response = client.get(url)
        assert response.status_code == 200, where
        _assert_clean(response.content.decode(), where)

    # --- admin ------------------------------------------------------------------------------
    client.force_login(county_admin)
    for model in (Resident, Household):
        opts = model._meta
        obj = resident if model is Resident else household
        for url in (
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            _assert_clean(response.content.decode(), url)
    response = client.get(reverse("admin:core_auditentry_changelist"))
    _assert_clean(response.content.decode(), "audit admin")

    # --- API (session) ------------------------------------------------------------------------
    client.force_login(worker)
    for url in (
        "/api/people/residents/",
        f"/api/people/residents/?q={ID_NUMBER}",
        f"/api/people/residents/{resident.pk}",
        "/api/people/households/",
        f"/api/people/households/{household.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_clean(response.content.decode(), url)
    assert masked_id in client.get(f"/api/people/residents/{resident.pk}").content.decode()
    other_number = id_number_for(date(1990, 1, 1), "M", serial=7)
    response = client.post(
        "/api/people/residents/",
        {
            "household_id": household.pk,
            "name": "李明",
            "gender": "M",
            "birth_date": "1990-01-01",
            "id_number": other_number,
            "phone": "13711112222",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert other_number not in response.content.decode()
    assert "13711112222" not in response.content.decode()
    response = client.patch(
        f"/api/people/residents/{resident.pk}", {"phone": PHONE}, content_type="application/json"
    )
    assert response.status_code == 200
    _assert_clean(response.content.decode(), "patch answer")
    # a duplicate ID number answers 409 without the number
    response = client.post(
        "/api/people/residents/",
        {
            "household_id": household.pk,
            "name": "重复",
            "gender": "F",
            "birth_date": "1958-08-08",
            "id_number": ID_NUMBER,
        },
        content_type="application/json",
    )
    assert response.status_code == 409
    _assert_clean(response.content.decode(), "conflict answer")

    # --- audit log and logs ---------------------------------------------------------------------
    for entry in AuditEntry.objects.all():
        _assert_clean(
            json.dumps(entry.changes, ensure_ascii=False) + entry.object_repr + entry.reason,
            f"audit entry {entry.pk}",
        )
    _assert_clean(caplog.text, "logs")
    assert PiiReveal.objects.count() == 0

    # --- and now a reveal: exactly the one value, in the answer -------------------------------
    response = client.post(
        f"/api/people/residents/{resident.pk}/reveal",
        {"field": "id_number", "reason": "核对低保申请人身份"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": ID_NUMBER}
    response = client.post(
        reverse("people:resident_reveal", args=[resident.pk, "phone"]),
        {"reason": "电话回访"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert ID_NUMBER not in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    # the records say who, whose, what and why — never the value
    reveals = list(PiiReveal.objects.order_by("id"))
    assert [(r.field_name, r.reason, r.object_pk) for r in reveals] == [
        ("id_number", "核对低保申请人身份", str(resident.pk)),
        ("phone", "电话回访", str(resident.pk)),
    ]
    assert all(r.actor == worker and r.region_code == resident.region_code for r in reveals)
    assert reveals[0].ip_address == "127.0.0.1"
    audit = AuditEntry.objects.filter(action="reveal").order_by("id")
    assert [(a.changes["field"], a.reason) for a in audit] == [
        ("id_number", "核对低保申请人身份"),
        ("phone", "电话回访"),
    ]
    for entry in AuditEntry.objects.all():
        _assert_clean(json.dumps(entry.changes, ensure_ascii=False), "audit after reveal")
    client.force_login(county_admin)
    _assert_clean(
        client.get(reverse("admin:core_piireveal_changelist")).content.decode(), "reveal log"
    )
    _assert_clean(caplog.text, "logs after reveal")


def test_who_may_reveal(
    resident, worker, grid_worker, leader, county_admin, town_staff_a, two_towns
):
    # community workers, town staff and county admins covering the row may
    for actor in (worker, town_staff_a, county_admin):
        assert services.pii_reveal(actor=actor, obj=resident, field="phone", reason="回访") == PHONE
    # leaders and grid workers may not; another town's staff do not even see the row
    for actor in (leader, grid_worker):
        with pytest.raises(Forbidden):
            services.pii_reveal(actor=actor, obj=resident, field="phone", reason="回访")
    other_town = user_with_role(Role.TOWN_STAFF, two_towns["b"], username="town_b_pii")
    with pytest.raises(NotFound):
        services.pii_reveal(actor=other_town, obj=resident, field="phone", reason="回访")
    assert PiiReveal.objects.count() == 3


def test_a_reason_is_required_in_chinese_and_only_pii_fields_reveal(resident, worker):
    with pytest.raises(ValidationFailed) as exc:
        services.pii_reveal(actor=worker, obj=resident, field="id_number", reason="  ")
    assert exc.value.message == "请填写查看原因"
    with pytest.raises(ValidationFailed):
        services.pii_reveal(actor=worker, obj=resident, field="name", reason="x")
    household_phone = services.pii_reveal(
        actor=worker, obj=resident.household, field="phone", reason="联系户主"
    )
    assert household_phone == HOUSEHOLD_PHONE
    assert PiiReveal.objects.count() == 1


def test_api_tokens_never_reveal(resident, two_towns):
    from linli.accounts.models import User
    from linli.accounts.services import api_token_create

    root = User.objects.create_superuser("root_pii", password="x")
    token, _raw = api_token_create(actor=root, name="对接", region=two_towns["a"], can_write=True)
    with pytest.raises(Forbidden) as exc:
        services.pii_reveal(actor=token, obj=resident, field="id_number", reason="对接")
    assert exc.value.code == "reveal_forbidden_token"


def test_the_reveal_page_works_without_javascript(client, resident, worker, grid_worker):
    url = reverse("people:resident_reveal", args=[resident.pk, "id_number"])
    client.force_login(worker)
    # an empty reason: the form again, with the Chinese error, nothing recorded
    response = client.post(url, {"reason": ""})
    assert "请填写查看原因" in response.content.decode()
    assert ID_NUMBER not in response.content.decode()
    response = client.post(url, {"reason": "核对身份"})
    assert ID_NUMBER in response.content.decode()
    assert "<html" in response.content.decode()  # a whole page, not a fragment
    # a grid worker gets no button and a 403 on the URL
    client.force_login(grid_worker)
    assert (
        "显示"
        not in client.get(reverse("people:resident_detail", args=[resident.pk])).content.decode()
    )
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert PiiReveal.objects.count() == 1


def test_an_exact_lookup_with_a_mistyped_id_number_says_why_nobody_was_found(
    client, resident, worker
):
    client.force_login(worker)
    wrong_check = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    url = reverse("people:resident_list")

    # by the lookup form, and typed into the name box (stashed, then shown clean)
    answers = [client.post(url, {"pii_q": wrong_check}).content.decode()]
    stashed = client.get(url + f"?q={wrong_check}")
    answers.append(client.get(stashed["Location"]).content.decode())
    for page in answers:
        assert 'data-testid="lookup-problem"' in page
        assert "没有找到居民：身份证号校验位不正确，请核对后重新输入" in page
        assert wrong_check not in page  # the typed number is still never echoed

    # a well-formed number of nobody, and a found one, carry no such note
    nobody = id_number_for(date(1970, 1, 1), "M", serial=7)
    assert "lookup-problem" not in client.post(url, {"pii_q": nobody}).content.decode()
    found = client.post(url, {"pii_q": ID_NUMBER}).content.decode()
    assert "王秀英" in found and "lookup-problem" not in found
