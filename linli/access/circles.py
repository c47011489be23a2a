"""The default life circles of the plan (editable data, loaded by a data migration).

A circle is met by a building when each of its services has a facility of one of the
listed types within the circle's distance (DESIGN.md §8; GB 50180-2018; the 5-minute
convenience circle of the commerce ministry's 便民生活圈 programme; 15 分钟健身圈).
"""

from __future__ import annotations

from typing import Any

DEFAULT_CIRCLES: list[dict[str, Any]] = [
    {
        "code": "life-15",
        "name": "15分钟综合生活服务圈",
        "measure_code": "pop_within_15min",
        "minutes": 15,
        "distance_m": 1000,
        "requirements": [
            ("社区综合服务", ["party_service_center", "one_stop_hall"]),
            ("医疗卫生", ["clinic", "health_center"]),
            ("养老服务", ["elderly_station", "day_care"]),
            ("文化活动", ["culture_room", "culture_center"]),
        ],
    },
    {
        "code": "convenience-5",
        "name": "5分钟便民生活圈",
        "measure_code": "pop_within_5min",
        "minutes": 5,
        "distance_m": 300,
        "requirements": [
            ("便民商业", ["convenience_shop", "market"]),
            ("快递收寄", ["express_point"]),
        ],
    },
    {
        "code": "fitness-15",
        "name": "15分钟健身圈",
        "measure_code": "pop_within_fitness_15min",
        "minutes": 15,
        "distance_m": 1000,
        "requirements": [("健身场地", ["fitness_ground", "sports_hall"])],
    },
]


def load_default_circles(life_circle_model: Any, requirement_model: Any, type_model: Any) -> int:
    """Create the circles that are missing (never overwrites a county's edits)."""
    created = 0
    for order, spec in enumerate(DEFAULT_CIRCLES, start=1):
        circle, made = life_circle_model.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "measure_code": spec["measure_code"],
                "minutes": spec["minutes"],
                "distance_m": spec["distance_m"],
                "sort_order": order * 10,
            },
        )
        if not made:
            continue
        created += 1
        for name, codes in spec["requirements"]:
            requirement = requirement_model.objects.create(circle=circle, name=name)
            requirement.facility_types.set(type_model.objects.filter(code__in=codes))
    return created
