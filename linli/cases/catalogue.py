"""The default case catalogue (分类) and time limits (时限) that ship with the platform.

Plain data, loaded by a data migration and by `category_catalogue_load()`; a county edits
the rows afterwards in the admin (a configurable tree). Codes are ASCII because they are
also the Open311 `service_code`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    children: tuple[tuple[str, str], ...] = ()
    description: str = ""
    department: str = ""  # the department usually dispatched (a suggestion to the operator)
    is_public: bool = True  # listed in the public Open311 feed (private matters are not)


DEFAULT_CATALOGUE: tuple[CategorySpec, ...] = (
    CategorySpec(
        "env",
        "环境卫生",
        (
            ("env-garbage", "垃圾清运不及时"),
            ("env-dumping", "乱堆乱放"),
            ("env-toilet", "公厕保洁"),
            ("env-sewage", "污水乱排"),
        ),
        "生活垃圾、卫生死角、乱堆乱放、污水等",
        "城管",
    ),
    CategorySpec(
        "muni",
        "市政设施",
        (
            ("muni-light", "路灯不亮"),
            ("muni-manhole", "井盖缺失破损"),
            ("muni-water", "供水问题"),
            ("muni-drain", "排水不畅"),
            ("muni-green", "绿化损毁"),
        ),
        "路灯、井盖、供排水、绿化等公共设施",
        "住建",
    ),
    CategorySpec(
        "road",
        "道路交通",
        (
            ("road-damage", "道路破损"),
            ("road-parking", "违章停车"),
            ("road-signal", "交通设施损坏"),
        ),
        "道路破损、违停、交通标志信号",
        "交通",
    ),
    CategorySpec(
        "dispute",
        "邻里纠纷",
        (
            ("dispute-noise", "噪音扰民"),
            ("dispute-neighbour", "相邻关系纠纷"),
            ("dispute-family", "家庭矛盾"),
        ),
        "需要调解的矛盾纠纷",
        "司法",
        is_public=False,
    ),
    CategorySpec(
        "security",
        "治安隐患",
        (("security-suspicious", "可疑人员车辆"), ("security-facility", "技防设施损坏")),
        "治安隐患和平安建设问题",
        "公安",
        is_public=False,
    ),
    CategorySpec(
        "fire",
        "消防安全",
        (
            ("fire-passage", "消防通道堵塞"),
            ("fire-ebike", "电动车违规充电"),
            ("fire-equipment", "消防设施损坏"),
        ),
        "消防通道、电动车充电、消防设施",
        "应急",
    ),
    CategorySpec(
        "property",
        "物业管理",
        (("property-service", "物业服务"), ("property-elevator", "电梯故障")),
        "小区物业服务、电梯、公共部位维修",
        "住建",
    ),
    CategorySpec(
        "care",
        "养老助残求助",
        (("care-elderly", "老年人求助"), ("care-disabled", "残疾人求助")),
        "困难老人、残疾人的求助",
        "民政",
        is_public=False,
    ),
    CategorySpec(
        "market",
        "市场监管",
        (("market-food", "食品安全"), ("market-price", "价格欺诈")),
        "食品安全、价格、无证经营",
        "市场监管",
    ),
    CategorySpec(
        "policy",
        "政策咨询",
        (),
        "社保、医保、救助、证明事项等政策咨询",
        "",
        is_public=False,
    ),
    CategorySpec("other", "其他", (), "不属于以上分类的问题"),
)


@dataclass(frozen=True)
class LimitSpec:
    """Time limits in hours: sign for (签收), first contact (首次联系), resolve (办结)."""

    sign_hours: float
    contact_hours: float
    resolve_hours: float
    working_time: bool  # True: working hours on working days; False: calendar hours


# Built-in defaults, used when no TimeLimit row matches (a county overrides them in the admin).
DEFAULT_LIMITS: dict[str, LimitSpec] = {
    "normal": LimitSpec(sign_hours=2, contact_hours=4, resolve_hours=35, working_time=True),
    "urgent": LimitSpec(sign_hours=0.5, contact_hours=1, resolve_hours=24, working_time=False),
}

# (category code, urgency) -> limits shipped as rows, the catalogue's exceptions.
DEFAULT_CATEGORY_LIMITS: dict[tuple[str, str], LimitSpec] = {
    ("fire", "normal"): LimitSpec(1, 2, 48, working_time=False),
    ("security", "normal"): LimitSpec(1, 2, 48, working_time=False),
    ("care", "normal"): LimitSpec(1, 2, 24, working_time=False),
    ("policy", "normal"): LimitSpec(2, 4, 14, working_time=True),
}
