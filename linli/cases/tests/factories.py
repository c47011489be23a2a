"""Making cases the way the platform does: through the services."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from linli.cases import services
from linli.cases.models import Case


def report(actor: Any, region: Any, **kwargs: Any) -> Case:
    """A case reported by `actor` in `region` (a grid or community)."""
    kwargs.setdefault("category_code", "env-garbage")
    kwargs.setdefault("description", "小区门口垃圾三天没人清运，气味很大")
    kwargs.setdefault("address", "陵阳社区幸福路 12 号")
    return services.case_report(actor=actor, region_code=region.code, **kwargs)


def jpeg_bytes(
    *,
    size: tuple[int, int] = (64, 48),
    gps: tuple[float, float] | None = None,
    color: tuple[int, int, int] = (200, 120, 40),
) -> bytes:
    """A real JPEG, optionally carrying an EXIF GPS position (lng, lat)."""
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    exif = Image.Exif()
    if gps is not None:
        lng, lat = gps

        def dms(value: float) -> tuple[float, float, float]:
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60, 4)
            return (float(d), float(m), s)

        exif[0x010F] = "TestCam"
        gps_ifd = {1: "N", 2: dms(lat), 3: "E", 4: dms(lng)}
        exif[0x8825] = gps_ifd
    image.save(out, format="JPEG", exif=exif.tobytes() if gps else b"")
    return out.getvalue()
