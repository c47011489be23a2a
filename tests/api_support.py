"""Walking the API's operations and calling them over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from config.api import api


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str  # e.g. /api/regions/{code}
    view: Any

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def api_operations() -> Iterator[ApiOperation]:
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            full = "/api/" + "/".join(p.strip("/") for p in (bound.prefix, path) if p.strip("/"))
            if path.endswith("/") or path in ("", "/"):
                full += "/"
            for operation in path_view.operations:
                for method in operation.methods:
                    yield ApiOperation(
                        method, re.sub(r"{(?:\w+:)?(\w+)}", r"{\1}", full), operation.view_func
                    )
