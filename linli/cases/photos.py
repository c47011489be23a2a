"""Checking and cleaning uploaded photos: only real images, size-limited, no metadata kept.

Every photo is decoded with Pillow (so a renamed script or a truncated file is refused),
turned upright from its EXIF orientation, shrunk to a sensible size and re-encoded as JPEG
without any metadata: the GPS position, camera serial and time in the EXIF never reach
what is shown. The GPS position is read first and kept apart, for staff only.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from linli.core.errors import ValidationFailed

MAX_PHOTOS = 9
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # refuse decompression bombs long before Pillow's own limit
MAX_SIDE = 2048
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes
    width: int
    height: int
    sha256: str
    exif_lng: float | None = None
    exif_lat: float | None = None


def max_photo_bytes() -> int:
    return int(getattr(settings, "LINLI_CASE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def _read(upload: Any) -> bytes:
    if isinstance(upload, bytes | bytearray):
        return bytes(upload)
    limit = max_photo_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationFailed(
            "photo_too_large", f"照片不能超过 {limit // (1024 * 1024)} MB", {"size": size}
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    return bytes(upload.read(limit + 1))


def _gps_degrees(values: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    return -degrees if str(ref).upper() in ("S", "W") else degrees


def _exif_position(image: Image.Image) -> tuple[float | None, float | None]:
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
    except Exception:  # a broken EXIF block must not refuse an otherwise good photo
        return None, None
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    lat = _gps_degrees(gps.get(2), gps.get(1, "N"))
    lng = _gps_degrees(gps.get(4), gps.get(3, "E"))
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None, None
    return round(lng, 6), round(lat, 6)


def photo_prepare(upload: Any) -> PreparedPhoto:
    """A clean JPEG from an upload, or ValidationFailed with a Chinese message."""
    data = _read(upload)
    limit = max_photo_bytes()
    if len(data) > limit:
        raise ValidationFailed("photo_too_large", f"照片不能超过 {limit // (1024 * 1024)} MB")
    if not data:
        raise ValidationFailed("photo_empty", "照片文件是空的")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in ALLOWED_FORMATS:
                raise ValidationFailed(
                    "photo_format", "只能上传 JPG、PNG 或 WEBP 格式的照片", {"format": kind}
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed("photo_too_big", "照片像素过大，请压缩后再上传")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            lng, lat = _exif_position(image)
            upright = ImageOps.exif_transpose(image)
            if upright.mode not in ("RGB", "L"):
                background = Image.new("RGB", upright.size, (255, 255, 255))
                rgba = upright.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                upright = background
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            # A fresh image carries no EXIF/XMP/ICC unless asked: the metadata is dropped here.
            upright.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed("photo_invalid", "文件不是有效的图片，请重新拍照上传") from None
    content = out.getvalue()
    return PreparedPhoto(
        content=content,
        width=upright.width,
        height=upright.height,
        sha256=hashlib.sha256(content).hexdigest(),
        exif_lng=lng,
        exif_lat=lat,
    )
