"""The default facility-type catalogue: the plan's facilities and GB 50180-2018's life circles.

Codes are stable identifiers that measures, the accessibility module and imports refer to;
names, life-circle levels and walking thresholds are defaults a county admin may edit
(DESIGN.md §8: 5-minute ≈ 300 m, 10-minute ≈ 500 m, 15-minute ≈ 1000 m). The data migration
`0002_default_facility_types` creates the rows that are missing and never overwrites edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WALK_M = {"5": 300, "10": 500, "15": 1000}


@dataclass(frozen=True)
class DefaultType:
    code: str
    name: str
    category: str
    life_circle: str  # "", "5", "10" or "15"
    description: str = ""

    @property
    def walk_threshold_m(self) -> int | None:
        return WALK_M.get(self.life_circle)


# Order is the display order (sort_order = 10 × position).
DEFAULT_TYPES: tuple[DefaultType, ...] = (
    # 综合服务 — 第三章(二)1, 专栏2
    DefaultType(
        "party_service_center",
        "党群服务中心（社区综合服务设施）",
        "综合服务",
        "5",
        "城乡社区综合服务设施的基本阵地；城市社区每百户不少于30平方米",
    ),
    DefaultType(
        "one_stop_hall",
        "一站式服务大厅",
        "综合服务",
        "",
        "农村社区便民服务窗口，村级综合服务设施平均不少于300平方米",
    ),
    DefaultType(
        "civilization_station", "新时代文明实践站", "综合服务", "", "新时代文明实践站（所）"
    ),
    DefaultType("volunteer_station", "志愿服务站点", "综合服务", "", "专栏2：80%以上城乡社区建立"),
    DefaultType(
        "social_work_station",
        "社会工作站（室）",
        "综合服务",
        "",
        "专栏2、专栏4：镇级社会工作服务站全覆盖，城市社区社会工作室",
    ),
    DefaultType("org_incubator", "社区社会组织孵化基地", "综合服务", ""),
    DefaultType("governance_center", "综治中心", "综合服务", "", "专栏5(7)：城乡社区综治中心"),
    # 养老
    DefaultType("elderly_station", "养老服务站", "养老服务", "5", "城乡社区养老服务站建设全覆盖"),
    DefaultType(
        "day_care", "老年人日间照料中心", "养老服务", "5", "GB 50180-2018 五分钟生活圈：托老所"
    ),
    DefaultType("meal_point", "老年助餐点（社区食堂）", "养老服务", "5", "社区食堂+送餐上门"),
    # 医疗卫生
    DefaultType("clinic", "社区卫生服务站（村卫生室）", "医疗卫生", "5", "村级医疗卫生服务全覆盖"),
    DefaultType(
        "health_center",
        "社区卫生服务中心",
        "医疗卫生",
        "15",
        "GB 50180-2018 十五分钟生活圈：卫生服务中心（社区医院）",
    ),
    # 教育托育、未成年人
    DefaultType("nursery", "托育点（托儿所）", "教育托育", "5", "嵌入式、分布式社区托育服务设施"),
    DefaultType("kindergarten", "幼儿园", "教育托育", "5"),
    DefaultType("primary_school", "小学", "教育托育", "10"),
    DefaultType("middle_school", "中学", "教育托育", "15", "GB 50180-2018 十五分钟生活圈：初中"),
    DefaultType(
        "minor_protection_station",
        "未成年人保护工作站",
        "未成年人关爱",
        "",
        "专栏5(3)：镇级未成年人保护工作站覆盖率50%",
    ),
    DefaultType("child_home", "儿童之家", "未成年人关爱", ""),
    DefaultType("youth_home", "青年之家", "未成年人关爱", "", "依托城乡社区综合服务设施建立"),
    DefaultType("disability_rehab", "残疾人康复站", "助残服务", "5", "社区服务站的残疾人康复室"),
    # 安全
    DefaultType("police_room", "警务室", "平安应急", "", "专栏5(7)：一区一警两辅、一村一辅警"),
    DefaultType(
        "micro_fire_station", "微型消防站", "平安应急", "", "城市社区与农村社区微型消防站（点）"
    ),
    DefaultType("shelter", "应急避难场所", "平安应急", "", "农村社区应急避难场所建设基本全覆盖"),
    # 文化体育
    DefaultType("culture_room", "文化活动室", "文化体育", "5", "GB 50180-2018：文化活动站"),
    DefaultType("culture_center", "文化活动中心", "文化体育", "15", "GB 50180-2018 十五分钟生活圈"),
    DefaultType("fitness_ground", "健身场地", "文化体育", "5", "室外综合健身场地；15分钟健身圈"),
    DefaultType(
        "sports_hall",
        "体育馆（大型多功能运动场地）",
        "文化体育",
        "15",
        "GB 50180-2018 十五分钟生活圈",
    ),
    # 商业便民
    DefaultType(
        "market",
        "农贸市场（菜市场）",
        "商业便民",
        "10",
        "GB 50180-2018 十分钟生活圈：菜市场或生鲜超市",
    ),
    DefaultType("convenience_shop", "便民商业网点", "商业便民", "5", "便利店等社区商业网点"),
    DefaultType("express_point", "快递服务点", "商业便民", "5", "邮件和快件送达设施"),
    DefaultType("ceremony_hall", "红白喜事公共场所", "商业便民", "", "农村社区群众举办红白喜事"),
    # 环境
    DefaultType("recycling_point", "再生资源回收点", "环境卫生", "5"),
    DefaultType("waste_point", "垃圾分类投放点", "环境卫生", "5", "生活垃圾收集点"),
    DefaultType("public_toilet", "公共厕所", "环境卫生", "5"),
)

DEFAULT_CODES = frozenset(t.code for t in DEFAULT_TYPES)


def default_type_fields(default: DefaultType, position: int) -> dict[str, Any]:
    return {
        "name": default.name,
        "category": default.category,
        "description": default.description,
        "life_circle": default.life_circle,
        "walk_threshold_m": default.walk_threshold_m,
        "sort_order": 10 * (position + 1),
        "is_active": True,
    }


def ensure_default_types(model: Any) -> int:
    """Create the default types that are missing (by code); never touch existing rows.

    `model` is FacilityType or its historical version in a migration. Returns the number
    of rows created."""
    existing_codes = set(model.objects.values_list("code", flat=True))
    existing_names = set(model.objects.values_list("name", flat=True))
    created = 0
    for position, default in enumerate(DEFAULT_TYPES):
        if default.code in existing_codes or default.name in existing_names:
            continue  # a county renamed or re-coded a type: its choice stands
        model.objects.create(code=default.code, **default_type_fields(default, position))
        created += 1
    return created
