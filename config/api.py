"""The one NinjaAPI at /api/: a router per app, token or session auth, one error body."""

from importlib import import_module
from typing import Any

from django.apps import apps

from linli.core.api import (
    BearerTokenAuth,
    ChineseJSONRenderer,
    LinliNinjaAPI,
    NulRefusingParser,
    StaffSessionAuth,
    install_error_handlers,
)

api = LinliNinjaAPI(
    title="邻里 Linli API",
    version="1",
    description=(
        "县域城乡社区服务一体化平台接口。其他系统使用管理员创建的令牌"
        "（Authorization: Bearer …），浏览器使用会话与 CSRF。所有错误均返回 "
        '{"code", "message", "detail"}，message 为中文。'
    ),
    auth=[BearerTokenAuth(), StaffSessionAuth()],
    urls_namespace="api",
    renderer=ChineseJSONRenderer(),
    parser=NulRefusingParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

# Django resolves a path by trying the API's patterns in order and recording every one it
# tried, so a route's place in the list is paid on every request to it: the cases router —
# intake from hotlines and other systems, the busiest write path — is mounted first.
BUSIEST_FIRST = ("cases",)


def _mount_order(app_config: Any) -> int:
    return 0 if app_config.label in BUSIEST_FIRST else 1


# Each linli app with an api.py contributes `router`, mounted at /api/<app label>/.
for app_config in sorted(apps.get_app_configs(), key=_mount_order):
    if not app_config.name.startswith("linli."):
        continue
    try:
        module = import_module(f"{app_config.name}.api")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_config.name}.api":
            raise
        continue
    router = getattr(module, "router", None)
    if router is not None:
        api.add_router(f"/{app_config.label}/", router)
