"""The computation of indicator values over the region tree — pure Python, no database.

Inputs: indicator specs (with the target in force), the tree (county → town → community),
and each measure's values per region. Output: one `Value` per (indicator, region).

Aggregation rules (DESIGN §7):
- ratio: Σnumerator / Σdenominator × factor at every level, summed over the communities the
  indicator applies to — never the mean of the communities' ratios;
- coverage: each *unit* (a community, or a town for town-level indicators) is judged by the
  unit condition on its own measure value (e.g. ≥ 12 organisations); above the units the
  value is units met / units applicable × 100 %. Without a target (tracked) no unit falls
  short: the units are tracked too;
- sum: Σnumerator, judged only at the indicator's level (e.g. brand organisations, county).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

LEVELS = ("community", "town", "county")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# Value statuses, with the label a leader reads.
MET, UNMET, TRACKED, INFO, MISSING, ERROR, NA, EMPTY = (
    "met",
    "unmet",
    "tracked",
    "info",
    "missing",
    "error",
    "na",
    "empty",
)
STATUS_LABELS = {
    MET: "达标",
    UNMET: "未达标",
    TRACKED: "跟踪监测",
    INFO: "仅统计",
    MISSING: "数据未接入",
    ERROR: "数据异常",
    NA: "不适用",
    EMPTY: "无数据",
}
JUDGED = (MET, UNMET)

OPERATORS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": lambda a, b: abs(a - b) < 1e-9,
}
OPERATOR_SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


@dataclass(frozen=True)
class TargetSpec:
    operator: str
    value: float
    deadline: str = ""
    source: str = ""


@dataclass(frozen=True)
class Spec:
    """What the engine needs of an Indicator (decoupled from the ORM for tests and speed)."""

    code: str
    name: str
    kind: str  # ratio | coverage | sum
    numerator: str
    denominator: str = ""
    factor: float = 1.0
    unit: str = ""
    decimals: int = 1
    applies_to: str = "all"  # all | urban | rural
    judged_at: str = "community"
    unit_operator: str = ">="
    unit_threshold: float = 1.0
    target: TargetSpec | None = None
    measure_unit: str = ""  # the numerator measure's unit (shown for a coverage unit's value)

    @property
    def measures(self) -> list[str]:
        return [c for c in (self.numerator, self.denominator) if c]


@dataclass
class Node:
    code: str
    name: str
    level: str
    parent: str | None
    urban_rural_code: str = ""
    children: list[str] = field(default_factory=list)

    @property
    def is_urban(self) -> bool:
        return self.urban_rural_code.startswith("1")

    @property
    def is_rural(self) -> bool:
        return self.urban_rural_code.startswith("2")


class Tree:
    """County, towns and communities; parents before children in `order`."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes: dict[str, Node] = {}
        self.ids: dict[str, int] = {}  # region primary keys, when loaded from the database
        for node in nodes:
            node.children = []
            self.nodes[node.code] = node
        for node in self.nodes.values():
            if node.parent is not None and node.parent not in self.nodes:
                node.parent = None  # outside the visible tree: a top node here
            if node.parent is not None:
                self.nodes[node.parent].children.append(node.code)
        for node in self.nodes.values():
            node.children.sort()
        self.roots = sorted(c for c, n in self.nodes.items() if n.parent is None)
        # Post-order (children before parents) for bottom-up sums.
        self.bottom_up: list[str] = []
        stack: list[tuple[str, bool]] = [(c, False) for c in reversed(self.roots)]
        while stack:
            code, done = stack.pop()
            if done:
                self.bottom_up.append(code)
                continue
            stack.append((code, True))
            stack.extend((c, False) for c in reversed(self.nodes[code].children))

        # For the engine (computed once per tree, used by every indicator): communities
        # (leaves), the nodes above them in post-order with their children, each node's rank.
        self.rank = {c: LEVEL_RANK.get(n.level, 0) for c, n in self.nodes.items()}
        self.order = [(c, n.level, self.rank[c]) for c, n in self.nodes.items()]
        self.leaves = [c for c in self.bottom_up if self.nodes[c].level == "community"]
        self.inner = [
            (c, self.nodes[c].children)
            for c in self.bottom_up
            if self.nodes[c].level != "community"
        ]
        self._applicable: dict[str, frozenset[str]] = {}
        self._applicable_nodes: dict[str, tuple[list[str], dict[str, bool]]] = {}

    def applicable_leaves(self, applies_to: str) -> frozenset[str]:
        """The communities an indicator applies to (by 城乡分类代码)."""
        found = self._applicable.get(applies_to)
        if found is None:
            probe = Spec("", "", "", "", applies_to=applies_to)
            found = frozenset(c for c in self.leaves if _applies(probe, self.nodes[c]))
            self._applicable[applies_to] = found
        return found

    def applicable_nodes(self, applies_to: str) -> tuple[list[str], dict[str, bool]]:
        """The communities an indicator applies to (in `leaves` order), and for every node
        whether it applies there (a town or the county: if any community below does; every
        node for indicators that apply to all) — the same for every indicator of `applies_to`."""
        found = self._applicable_nodes.get(applies_to)
        if found is None:
            applies = self.applicable_leaves(applies_to)
            applicable = {c: c in applies for c in self.leaves}
            everywhere = applies_to == "all"
            for code, children in self.inner:
                applicable[code] = everywhere or any(map(applicable.__getitem__, children))
            found = ([c for c in self.leaves if c in applies], applicable)
            self._applicable_nodes[applies_to] = found
        return found

    def __contains__(self, code: object) -> bool:
        return code in self.nodes

    def node_for_key(self, key: str) -> str | None:
        """The node a measure's key counts for: itself, or a grid's community."""
        if key in self.nodes:
            return key
        if len(key) == 15 and key[:12] in self.nodes:
            return key[:12]
        return None

    def descendants(self, code: str, level: str) -> list[str]:
        """All nodes of `level` at or below `code`, by code."""
        found: list[str] = []
        stack = [code]
        while stack:
            current = stack.pop()
            node = self.nodes[current]
            if node.level == level:
                found.append(current)
                continue
            stack.extend(node.children)
        return sorted(found)

    def path(self, code: str) -> list[str]:
        """From the top visible node down to `code`."""
        chain = []
        current: str | None = code
        while current is not None:
            chain.append(current)
            current = self.nodes[current].parent
        return list(reversed(chain))


@dataclass(slots=True)
class Value:
    indicator: str
    region: str
    level: str
    status: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    units_met: int | None = None
    units_total: int | None = None
    target_operator: str = ""
    target_value: float | None = None
    is_unit: bool = False  # a coverage unit's own value (shown against the unit condition)
    note: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def gap(self) -> float | None:
        """How far from the target, in the indicator's unit (0 when met)."""
        if self.value is None or self.target_value is None or not self.target_operator:
            return None
        if self.target_operator in (">=", ">"):
            return max(0.0, self.target_value - self.value)
        if self.target_operator in ("<=", "<"):
            return max(0.0, self.value - self.target_value)
        return abs(self.value - self.target_value)

    @property
    def attainment(self) -> float | None:
        """value / target for 'at least' targets (1.0 = reached), for ranking the gaps."""
        if self.value is None or self.target_value is None or not self.target_operator:
            return None
        if self.target_operator in (">=", ">"):
            if self.target_value <= 0:
                return 1.0
            return self.value / self.target_value
        if self.target_operator in ("<=", "<"):
            return 1.0 if self.value <= 0 else self.target_value / self.value
        if self.target_value == 0:
            return 1.0 if self.value == 0 else 0.0
        return max(0.0, 1 - abs(self.value - self.target_value) / abs(self.target_value))

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "region": self.region,
            "level": self.level,
            "status": self.status,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "units_met": self.units_met,
            "units_total": self.units_total,
            "target_operator": self.target_operator,
            "target_value": self.target_value,
            "gap": self.gap,
        }


def judge(value: float | None, op: str, threshold: float) -> bool:
    return value is not None and bool(OPERATORS[op](round(value, 9), threshold))


def _applies(spec: Spec, node: Node) -> bool:
    if spec.applies_to == "urban":
        return node.is_urban
    if spec.applies_to == "rural":
        return node.is_rural
    return True


class Evaluation:
    """Every indicator's value at every node of a tree, and helpers to read them."""

    def __init__(self, specs: list[Spec], tree: Tree, values: dict[tuple[str, str], Value]):
        self.specs = specs
        self.spec_by_code = {s.code: s for s in specs}
        self.tree = tree
        self.values = values

    def get(self, indicator: str, region: str) -> Value:
        return self.values[(indicator, region)]

    def for_region(self, region: str) -> list[Value]:
        return [self.values[(s.code, region)] for s in self.specs]

    def short_units(self, indicator: str, region: str) -> list[Value]:
        """Units below (or at) `region` that fail at the indicator's level, worst first."""
        spec = self.spec_by_code[indicator]
        level = spec.judged_at
        if spec.kind == "sum" or LEVEL_RANK.get(self.tree.nodes[region].level, 0) < LEVEL_RANK.get(
            level, 0
        ):
            return []
        found = [self.values[(indicator, code)] for code in self.tree.descendants(region, level)]
        failing = [v for v in found if v.status == UNMET]
        return sorted(failing, key=lambda v: v.attainment if v.attainment is not None else 0)


def evaluate(
    specs: list[Spec],
    tree: Tree,
    measure_values: Mapping[str, Mapping[str, float]],
    errors: Mapping[str, str] | None = None,
) -> Evaluation:
    """Compute every spec over the tree from measure values {measure: {region code: value}}."""
    errors = errors or {}
    # Each measure's values placed on tree nodes once (grids fold into their community).
    placed: dict[str, Mapping[str, float]] = {}
    nodes = tree.nodes
    for code, by_key in measure_values.items():
        if nodes.keys() >= by_key.keys():  # the usual case: every key is a node (read only)
            placed[code] = by_key
            continue
        on_nodes: dict[str, float] = defaultdict(float)
        for key, amount in by_key.items():
            if key in nodes:  # the usual case, without a call
                on_nodes[key] += amount
                continue
            node = tree.node_for_key(key)
            if node is not None:
                on_nodes[node] += amount
        placed[code] = on_nodes
    values: dict[tuple[str, str], Value] = {}
    for spec in specs:
        _evaluate_one(spec, tree, placed, errors, values)
    return Evaluation(specs, tree, values)


def _evaluate_one(
    spec: Spec,
    tree: Tree,
    placed: Mapping[str, Mapping[str, float]],
    errors: Mapping[str, str],
    out: dict[tuple[str, str], Value],
) -> None:
    """Every value of one indicator, written into `out` (the evaluation's values)."""
    target_op = spec.target.operator if spec.target else ""
    target_value = spec.target.value if spec.target else None
    broken = [m for m in spec.measures if m in errors]
    missing = [m for m in spec.measures if m not in placed]
    if broken or missing:
        status = ERROR if broken else MISSING
        note = "、".join(broken or missing)
        for code, node in tree.nodes.items():
            out[(spec.code, code)] = Value(
                spec.code,
                code,
                node.level,
                status,
                target_operator=target_op,
                target_value=target_value,
                note=note,
            )
        return

    # Bottom-up sums over the communities the indicator applies to (a town's or county's own
    # facts count only for indicators that apply to all communities).
    applies, applicable = tree.applicable_nodes(spec.applies_to)
    everywhere = spec.applies_to == "all"
    num = _sums(placed[spec.numerator], tree, applies, everywhere)
    # Only a ratio has a denominator.
    den = _sums(placed[spec.denominator], tree, applies, everywhere) if spec.denominator else {}

    judged_rank = LEVEL_RANK.get(spec.judged_at, 0)
    kind = spec.kind
    indicator = spec.code
    # `_status`, inlined: the comparison against the target without a call per value.
    versus = OPERATORS[target_op] if target_op and target_value is not None else None

    if kind == "coverage":
        # Units judged once, then met / applicable units counted bottom-up (O(nodes)).
        unit_op, threshold = spec.unit_operator, spec.unit_threshold
        passes = OPERATORS[unit_op]
        met: dict[str, int] = {}
        units: dict[str, int] = {}
        if judged_rank == 0:  # the communities are the units (the usual case)
            units = dict.fromkeys(tree.leaves, 0)
            units.update(dict.fromkeys(applies, 1))
            met = dict.fromkeys(tree.leaves, 0)
            met.update((c, 1) for c in applies if passes(round(num[c], 9), threshold))
            for code, children in tree.inner:
                units[code] = sum(map(units.__getitem__, children))
                met[code] = sum(map(met.__getitem__, children))
        else:
            rank_of = tree.rank
            for code in tree.bottom_up:
                rank = rank_of[code]
                if rank == judged_rank:
                    units[code] = 1 if applicable[code] else 0
                    met[code] = (
                        1 if applicable[code] and passes(round(num[code], 9), threshold) else 0
                    )
                elif rank > judged_rank:
                    children = tree.nodes[code].children
                    units[code] = sum(map(units.__getitem__, children))
                    met[code] = sum(map(met.__getitem__, children))
        for code, level, rank in tree.order:
            if not applicable[code]:
                out[(indicator, code)] = Value(indicator, code, level, NA)
            elif rank < judged_rank:
                # Below the units (a community under a town-level indicator): its contribution.
                n = num[code]
                out[(indicator, code)] = Value(
                    indicator, code, level, INFO, n, n, None, None, None, target_op, target_value
                )
            elif rank == judged_rank:
                # A unit: its own measure value against the unit condition (e.g. ≥ 12). An
                # indicator the plan only tracks (no target) has no unit falling short either.
                n = num[code]
                status = TRACKED if versus is None else (MET if met[code] else UNMET)
                out[(indicator, code)] = Value(
                    indicator, code, level, status, n, n, None, None, None, unit_op, threshold, True
                )
            else:
                m, u = met[code], units[code]
                if not u:
                    share, status = None, EMPTY
                else:
                    share = m / u * 100
                    if versus is None:
                        status = TRACKED
                    else:
                        status = MET if versus(round(share, 9), target_value) else UNMET
                out[(indicator, code)] = Value(
                    indicator,
                    code,
                    level,
                    status,
                    share,
                    float(m),
                    float(u),
                    m,
                    u,
                    target_op,
                    target_value,
                )
        return

    ratio = kind == "ratio"
    factor = spec.factor
    for code, level, rank in tree.order:
        if not applicable[code]:
            out[(indicator, code)] = Value(indicator, code, level, NA)
            continue
        n = num[code]
        if ratio:
            d = den[code]
            value = n / d * factor if d else None
            judged = rank >= judged_rank
        else:  # sum
            d, value = None, n
            judged = rank == judged_rank
        if value is None:
            status = EMPTY
        elif not judged:
            status = INFO
        elif versus is None:
            status = TRACKED
        else:
            status = MET if versus(round(value, 9), target_value) else UNMET
        out[(indicator, code)] = Value(
            indicator, code, level, status, value, n, d, None, None, target_op, target_value
        )


def _sums(
    values: Mapping[str, float], tree: Tree, applies: list[str], everywhere: bool
) -> dict[str, float]:
    """A measure's values summed bottom-up over the communities `applies`: {node: Σ}."""
    if everywhere:
        leaves = tree.leaves
        sums = dict(zip(leaves, map(values.get, leaves, repeat(0.0)), strict=True))
    else:
        sums = dict.fromkeys(tree.leaves, 0.0)
        sums.update(zip(applies, map(values.get, applies, repeat(0.0)), strict=True))
    get = sums.__getitem__
    for code, children in tree.inner:
        sums[code] = sum(map(get, children)) + (values.get(code, 0.0) if everywhere else 0.0)
    return sums


def _status(value: float | None, judged: bool, op: str, target: float | None) -> str:
    if value is None:
        return EMPTY
    if not judged:
        return INFO
    if target is None or not op:
        return TRACKED
    return MET if judge(value, op, target) else UNMET
