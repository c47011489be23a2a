"""`manage.py demo`: build the demo county (never on a production database)."""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from linli.demo.accounts import build_demo_accounts
from linli.demo.registry import DEFAULT_SEED, SCALES, build_demo_registry
from linli.regions.demo import build_demo_regions
from linli.regions.models import Region

# Demo data of other apps, built after the registry when their modules exist.
OPTIONAL_BUILDERS = (
    ("linli.cases.demo", "build_demo_cases", "案件"),
    ("linli.access.demo", "build_demo_access", "生活圈路网与可达性"),
    ("linli.indicators.demo", "build_indicator_history", "指标历史"),
)


def optional_builder(module_name: str, function: str) -> Callable[..., Any] | None:
    """The builder if its module and function exist (other apps add them in their own time)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            return None
        raise
    builder = getattr(module, function, None)
    return builder if callable(builder) else None


def call_with_known(builder: Callable[..., Any], **available: Any) -> Any:
    """Call `builder` with those of `available` its signature accepts."""
    parameters = inspect.signature(builder).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return builder(**available)
    return builder(**{k: v for k, v in available.items() if k in parameters})


class Command(BaseCommand):
    help = (
        "生成演示县（南陵县）：区划树、网格、楼栋、户籍人口、服务设施、组织、社区工作者和"
        "各角色演示账号。相同的种子生成相同的数据；已有数据时不重复生成。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--scale",
            choices=list(SCALES),
            default="small",
            help="small：每个网格少量住户（测试用，约 8 千人）；full：约 40 万人、14 万户",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子")
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有区划时什么也不做")

    def handle(self, *args: Any, scale: str, seed: int, if_empty: bool, **options: Any) -> None:
        if if_empty and Region.objects.exists():
            self.stdout.write("演示数据已存在，跳过生成。")
            return
        started = time.perf_counter()
        regions = build_demo_regions(seed=seed)
        self.stdout.write(
            f"区划：{regions.towns} 个镇，{regions.communities} 个社区/村，{regions.grids} 个网格"
            + ("" if regions.created else "（已存在）")
        )
        self.stdout.write(f"生成户籍与服务数据（{scale}，种子 {seed}）…")
        registry = build_demo_registry(scale=scale, seed=seed, progress=self.stdout.write)
        if registry.created:
            r = registry
            self.stdout.write(
                f"楼栋 {r.buildings:,}，户 {r.households:,}，居民 {r.residents:,}，"
                f"标签 {r.tags:,}，设施 {r.facilities:,}，组织 {r.organisations:,}，"
                f"工作者 {r.workers:,}（{r.seconds} 秒）"
            )
        else:
            self.stdout.write("户籍数据已存在，未重复生成。")
        build_demo_accounts()
        for module_name, function, label in OPTIONAL_BUILDERS:
            builder = optional_builder(module_name, function)
            if builder is None:
                continue
            began = time.perf_counter()
            call_with_known(builder, seed=seed, scale=scale)
            self.stdout.write(f"{label}：已生成（{time.perf_counter() - began:.1f} 秒）")
        if connection.vendor == "postgresql":
            # Fresh bulk-loaded tables have no statistics (autovacuum may be off): without them
            # the planner assumes one row per table and picks poor plans for the first hours.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"演示县已生成（{scale}），用时 {time.perf_counter() - started:.1f} 秒。"
            )
        )
