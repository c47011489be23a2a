"""The people generator without a database: ID numbers, phones, household make-up."""

import random
from datetime import date

from linli.core.pii import id_number_error, is_valid_phone
from linli.demo import population as pop


def test_id_numbers_are_valid_unique_and_carry_birth_date_and_gender():
    # given many people born on the same few days
    ids = pop.IdNumbers()
    made = []
    for n in range(600):
        born = date(1950 + n % 3, 5, 17)
        gender = "M" if n % 2 else "F"
        made.append((ids.make("340223", born, gender), born, gender))

    # then every number is a valid GB 11643 number that says who it is
    numbers = [m[0] for m in made]
    assert len(set(numbers)) == len(numbers)
    for number, born, gender in made:
        assert id_number_error(number) is None
        assert number[:6] == "340223"
        assert number[6:14] == f"{born:%Y%m%d}"
        assert int(number[16]) % 2 == (1 if gender == "M" else 0)


def test_phones_are_valid_distinct_and_avoid_the_demo_numbers():
    phones = pop.Phones(reserved=("13800000001",))
    rng = random.Random(1)

    made = [phones.make(rng) for _ in range(2000)]

    assert len(set(made)) == len(made)
    assert all(is_valid_phone(p) and not p.startswith("138") for p in made)


def test_households_have_one_head_first_and_consistent_generations():
    rng = random.Random(7)
    for kind in pop.HOUSEHOLD_KINDS:
        for _ in range(200):
            # when
            draft = pop.compose_household(rng, kind)

            # then
            relations = [m.relation for m in draft.members]
            assert relations[0] == "head" and relations.count("head") == 1
            head = draft.members[0]
            for member in draft.members[1:]:
                if member.relation == "spouse":
                    assert member.gender != head.gender
                if member.relation in ("child", "grandchild"):
                    assert member.age < head.age
                if member.relation == "parent":
                    assert member.age > head.age
            if kind == "elder_alone":
                assert len(draft.members) == 1 and head.age >= 60
            if kind == "skip_generation":
                assert any(m.left_behind for m in draft.members)


def test_the_county_mix_gives_the_target_age_structure():
    # given the county's share of urban and rural households
    rng = random.Random(3)
    ages: list[int] = []
    for rurality, households in ((0.0, 3000), (0.4, 1900), (1.0, 5300)):
        kinds, cum = pop.household_kinds(rurality)
        for _ in range(households):
            draft = pop.compose_household(rng, rng.choices(kinds, cum_weights=cum)[0])
            ages += [m.age for m in draft.members]

    # then about a quarter is 60 or over, a sixth 65 or over, and 18 % children
    share = lambda test: sum(1 for a in ages if test(a)) / len(ages)  # noqa: E731
    assert 0.23 <= share(lambda a: a >= 60) <= 0.27
    assert 0.14 <= share(lambda a: a >= 65) <= 0.18
    assert 0.16 <= share(lambda a: a < 18) <= 0.20
    assert 2.5 <= len(ages) / 10_200 <= 3.0


def test_names_are_chinese_and_come_from_the_seed():
    first = [pop.person_name(random.Random(5), "F", 70) for _ in range(3)]
    again = [pop.person_name(random.Random(5), "F", 70) for _ in range(3)]

    assert first == again
    assert all(2 <= len(n) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in n) for n in first)
