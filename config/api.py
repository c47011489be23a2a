"""The one NinjaAPI at /api/: a router per app, token or session auth, one error body."""

from importlib import import_module

from django.apps import apps

from linli.core.api import (
    BearerTokenAuth,
    ChineseJSONRenderer,
    LinliNinjaAPI,
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
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

# Each linli app with an api.py contributes `router`, mounted at /api/<app label>/.
for app_config in apps.get_app_configs():
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
