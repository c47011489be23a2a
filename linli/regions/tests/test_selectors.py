import pytest

from linli.accounts.models import Role, RoleAssignment
from linli.core.errors import NotFound
from linli.regions import selectors
from linli.regions.tests.factories import make_staff, make_superuser, make_tree


@pytest.mark.django_db
def test_tree_for_a_superuser_is_the_whole_tree_in_preorder(django_assert_num_queries):
    # given
    tree = make_tree(towns=2, communities=2, grids=2)
    admin = make_superuser()

    # when
    with django_assert_num_queries(1):
        nodes = selectors.region_tree_for(admin)

    # then parents come right before their children, with depth from the county
    assert len(nodes) == 15
    assert [n.code for n in nodes[:4]] == [
        tree.county.code,
        tree.towns[0].code,
        tree.communities[0].code,
        tree.grids[0].code,
    ]
    assert [n.depth for n in nodes[:5]] == [0, 1, 2, 3, 3]
    seen: set[int] = set()
    for node in nodes:
        assert node.parent_id is None or node.parent_id in seen
        seen.add(node.id)


@pytest.mark.django_db
def test_tree_for_town_staff_is_their_town_only(django_assert_num_queries):
    tree = make_tree(towns=2, communities=2, grids=1)
    staff = make_staff(tree.towns[1], Role.TOWN_STAFF)
    _ = staff.linli_scope  # load the roles outside the counted block

    with django_assert_num_queries(1):
        nodes = selectors.region_tree_for(staff)

    assert [n.code for n in nodes] == [
        tree.towns[1].code,
        tree.communities[2].code,
        tree.grids[2].code,
        tree.communities[3].code,
        tree.grids[3].code,
    ]
    assert [n.depth for n in nodes] == [0, 1, 2, 1, 2]
    assert nodes[3].kind_label == "村"


@pytest.mark.django_db
def test_tree_from_a_root_code_and_nesting():
    tree = make_tree(towns=2, communities=2, grids=2)

    nodes = selectors.region_tree_for(make_superuser(), root_code=tree.communities[1].code)
    roots = selectors.region_tree_nested(nodes)

    assert [n.code for n in nodes] == [tree.communities[1].code] + [g.code for g in tree.grids[2:4]]
    assert len(roots) == 1
    assert [c.code for c in roots[0].children] == [g.code for g in tree.grids[2:4]]


@pytest.mark.django_db
def test_an_invisible_region_is_not_found():
    tree = make_tree(towns=2, communities=1, grids=0)
    staff = make_staff(tree.towns[0], Role.TOWN_STAFF)

    with pytest.raises(NotFound):
        selectors.region_get_visible(staff, tree.towns[1].code)
    with pytest.raises(NotFound):
        selectors.region_tree_for(staff, root_code=tree.communities[1].code)
    with pytest.raises(NotFound):
        selectors.region_children(staff, tree.county.code)

    assert selectors.region_get_visible(staff, tree.communities[0].code) == tree.communities[0]


@pytest.mark.django_db
def test_children_are_ordered_with_their_child_counts():
    tree = make_tree(towns=1, communities=3, grids=2)

    children = list(selectors.region_children(make_superuser(), tree.towns[0].code))

    assert [c.code for c in children] == sorted(c.code for c in tree.communities)
    assert [c.child_count for c in children] == [2, 2, 2]


@pytest.mark.django_db
def test_roots_follow_the_scope():
    tree = make_tree(towns=2, communities=1, grids=1)
    staff = make_staff(tree.communities[1])

    assert list(selectors.region_roots_for(make_superuser())) == [tree.county]
    assert list(selectors.region_roots_for(staff)) == [tree.communities[1]]


@pytest.mark.django_db
def test_export_rows_use_import_labels_and_parent_codes():
    tree = make_tree(towns=1, communities=2, grids=1)

    rows = selectors.region_export_rows(make_superuser())

    by_code = {r["code"]: r for r in rows}
    assert by_code[tree.county.code]["parent_code"] == ""
    assert by_code[tree.communities[0].code]["level"] == "社区"
    assert by_code[tree.communities[1].code]["level"] == "村"
    assert by_code[tree.grids[1].code]["parent_code"] == tree.communities[1].code
    assert "parent__code" not in rows[0]


@pytest.mark.django_db
def test_tree_depth_counts_from_each_visible_top():
    # given roles at a town and at a community of another town
    tree = make_tree(towns=2, communities=1, grids=1)
    user = make_staff(tree.towns[0])
    RoleAssignment.objects.create(
        user=user,
        role=Role.COMMUNITY_WORKER,
        region=tree.communities[1],
        region_code=tree.communities[1].code,
    )

    # when
    nodes = selectors.region_tree_for(user)

    # then both tops are at depth 0
    assert [(n.code, n.depth) for n in nodes] == [
        (tree.towns[0].code, 0),
        (tree.communities[0].code, 1),
        (tree.grids[0].code, 2),
        (tree.communities[1].code, 0),
        (tree.grids[1].code, 1),
    ]
