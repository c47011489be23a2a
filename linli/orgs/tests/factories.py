"""Factories for organisations and members.

org = OrganisationFactory(region=community)                       # 社区社会组织
party = OrganisationFactory(region=community, kind="party", party_level="community")
OrganisationFactory(region=community, is_regular_service=True)     # counts for 专栏2
MembershipFactory(organisation=org)
valid_credit_code("91340223MA2N")                                  # a code with its check digit
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from linli.orgs.models import CREDIT_CODE_CHARS, CREDIT_CODE_WEIGHTS, Membership, Organisation


def valid_credit_code(first17: str = "91340223MA2NXXXX0") -> str:
    """Complete 17 characters of a 统一社会信用代码 with their GB 32100 check character."""
    first17 = first17.upper().ljust(17, "0")[:17]
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return first17 + CREDIT_CODE_CHARS[(31 - total % 31) % 31]


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    region = factory.SubFactory("linli.regions.tests.factories.RegionFactory")
    name = factory.Sequence(lambda n: f"测试社会组织{n}")
    kind = Organisation.Kind.SOCIAL
    is_active = True


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    region = factory.SelfAttribute("organisation.region")
    name = factory.Faker("name", locale="zh_CN")
    role = Membership.Role.MEMBER
