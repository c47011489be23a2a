"""Organisation and membership services: validation, scope, conflicts."""

import pytest

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.orgs import services
from linli.orgs.models import CREDIT_CODE_CHARS, Membership, Organisation, credit_code_error
from linli.orgs.tests.factories import MembershipFactory, OrganisationFactory, valid_credit_code

pytestmark = pytest.mark.django_db


def test_a_computed_credit_code_passes_and_a_changed_check_character_fails():
    # given 17 characters of a code: 9 = 工商, 1 = 企业, 340223 = 南陵县
    code = valid_credit_code("91340223MA2NXXXX0")
    # then the GB 32100 check passes, and every other check character fails
    assert len(code) == 18
    assert credit_code_error(code) is None
    wrong = next(c for c in CREDIT_CODE_CHARS if c != code[-1])
    assert credit_code_error(code[:17] + wrong) == "统一社会信用代码校验位不正确"
    assert "18 位" in credit_code_error("123")


def test_organisation_create_stores_a_valid_credit_code_upper_cased(community_a, county_admin):
    # given a valid code typed in lower case
    code = valid_credit_code("52340223MJ0000010")
    # when an admin registers the organisation
    org = services.organisation_create(
        actor=county_admin,
        region=community_a,
        name="陵阳社区邻里互助会",
        kind=Organisation.Kind.SOCIAL,
        credit_code=code.lower(),
        contact_phone="138 0013 8000",
    )
    # then it is stored normalised
    org.refresh_from_db()
    assert org.credit_code == code
    assert org.region_code == community_a.code
    assert org.contact_phone == "13800138000"
    assert org.contact_phone_masked == "138****8000"


def test_organisation_create_rejects_every_problem_at_once(community_a, county_admin):
    # when the input has a bad credit code, a party org without level, and a bad phone
    with pytest.raises(ValidationFailed) as exc:
        services.organisation_create(
            actor=county_admin,
            region=community_a,
            name="  ",
            kind=Organisation.Kind.PARTY,
            credit_code="91340223MA2NXXXX0A",
            contact_phone="12345",
        )
    # then all of them are reported, in Chinese, and nothing is written
    errors = exc.value.detail["errors"]
    assert "组织名称不能为空" in errors
    assert any("党组织须填写层级" in e for e in errors)
    assert "统一社会信用代码校验位不正确" in errors
    assert "联系电话应为 11 位手机号" in errors
    assert Organisation.objects.count() == 0


def test_only_party_organisations_carry_a_party_level(community_a, county_admin):
    with pytest.raises(ValidationFailed, match="只有党组织"):
        services.organisation_create(
            actor=county_admin,
            region=community_a,
            name="舞蹈队",
            kind=Organisation.Kind.SOCIAL,
            party_level="grid",
        )
    party = services.organisation_create(
        actor=county_admin,
        region=community_a,
        name="陵阳社区党委",
        kind=Organisation.Kind.PARTY,
        party_level=Organisation.PartyLevel.COMMUNITY,
    )
    assert party.party_level == "community"


def test_a_party_branch_needs_a_party_parent_in_scope(
    two_towns, community_a, community_b, county_admin
):
    # given a party committee in town A, a social org in A, and a party committee in town B
    committee = OrganisationFactory(region=community_a, kind="party", party_level="community")
    social = OrganisationFactory(region=community_a)
    other_town = OrganisationFactory(region=community_b, kind="party", party_level="community")
    staff_a = user_with_role(Role.TOWN_STAFF, two_towns["a"], username="staff_a2")
    # when town A's staff attach a grid branch to each
    branch = services.organisation_create(
        actor=staff_a,
        region=community_a,
        name="第一网格党支部",
        kind="party",
        party_level="grid",
        parent=committee,
    )
    assert branch.parent == committee
    with pytest.raises(ValidationFailed, match="党组织的上级组织应为党组织"):
        services.organisation_create(
            actor=staff_a,
            region=community_a,
            name="b2",
            kind="party",
            party_level="grid",
            parent=social,
        )
    # then a parent outside the actor's scope is refused as unknown
    with pytest.raises(ValidationFailed, match="上级组织不存在或不在您的管理范围内"):
        services.organisation_create(
            actor=staff_a,
            region=community_a,
            name="b3",
            kind="party",
            party_level="grid",
            parent=other_town,
        )


def test_organisation_create_is_refused_outside_scope_and_for_leaders(
    two_towns, community_b, town_staff_a, leader
):
    with pytest.raises(Forbidden):
        services.organisation_create(
            actor=town_staff_a, region=community_b, name="x", kind="social"
        )
    with pytest.raises(Forbidden):
        services.organisation_create(actor=leader, region=community_b, name="x", kind="social")
    assert Organisation.objects.count() == 0


def test_same_name_and_kind_in_a_region_conflicts(community_a, county_admin):
    OrganisationFactory(region=community_a, name="书画社")
    with pytest.raises(Conflict, match="已有同名"):
        services.organisation_create(
            actor=county_admin, region=community_a, name="书画社", kind="social"
        )


def test_organisation_update_changes_flags_and_refuses_a_parent_cycle(community_a, county_admin):
    # given a committee with a branch under it
    committee = OrganisationFactory(region=community_a, kind="party", party_level="community")
    branch = OrganisationFactory(
        region=community_a, kind="party", party_level="grid", parent=committee
    )
    # when flags change
    updated = services.organisation_update(
        actor=county_admin,
        organisation=committee,
        data={"is_regular_service": True, "is_brand": True},
    )
    assert updated.is_regular_service and updated.is_brand
    # then making the committee a child of its own branch is refused
    with pytest.raises(ValidationFailed, match="不能是本组织或其下级组织"):
        services.organisation_update(
            actor=county_admin, organisation=committee, data={"parent": branch}
        )
    # and the region cannot be changed
    with pytest.raises(ValidationFailed, match="不能修改这些字段"):
        services.organisation_update(
            actor=county_admin, organisation=committee, data={"region": community_a}
        )


def test_changing_kind_away_from_party_drops_the_level(community_a, county_admin):
    org = OrganisationFactory(region=community_a, kind="party", party_level="grid")
    services.organisation_update(actor=county_admin, organisation=org, data={"kind": "social"})
    org.refresh_from_db()
    assert (org.kind, org.party_level) == ("social", "")


def test_organisation_update_of_another_towns_row_is_not_found(community_b, town_staff_a):
    org = OrganisationFactory(region=community_b)
    with pytest.raises(NotFound):
        services.organisation_update(actor=town_staff_a, organisation=org, data={"name": "改"})
    org.refresh_from_db()
    assert org.name != "改"


def test_membership_add_and_remove(community_a, town_staff_a, leader):
    # given an organisation in town A
    org = OrganisationFactory(region=community_a)
    # when town A's staff add a leader
    member = services.membership_add(
        actor=town_staff_a, organisation=org, name="王芳", role=Membership.Role.LEADER
    )
    # then the member carries the organisation's region
    assert member.region_code == community_a.code
    assert list(org.memberships.values_list("name", flat=True)) == ["王芳"]
    # and a leader (read-only) cannot remove them; staff can
    with pytest.raises(Forbidden):
        services.membership_remove(actor=leader, membership=member)
    services.membership_remove(actor=town_staff_a, membership=member)
    assert org.memberships.count() == 0


def test_membership_add_validates_and_scopes(community_a, community_b, town_staff_a):
    org = OrganisationFactory(region=community_a)
    with pytest.raises(ValidationFailed, match="成员姓名不能为空"):
        services.membership_add(actor=town_staff_a, organisation=org, name=" ")
    other = OrganisationFactory(region=community_b)
    with pytest.raises(NotFound):
        services.membership_add(actor=town_staff_a, organisation=other, name="李四")
    foreign_member = MembershipFactory(organisation=other)
    with pytest.raises(NotFound):
        services.membership_remove(actor=town_staff_a, membership=foreign_member)
    assert Membership.objects.count() == 1
