"""Personal information (PIPL): encryption at rest, blind indexes, masking, validation.

Values are encrypted with Fernet; LINLI_PII_KEYS lists keys newest first, so a new key
encrypts while old ones still decrypt (rotation: add a key in front, run
`manage.py pii_rotate`, then drop the old key). Lookups go through an HMAC blind index.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models


def _fernet_key(raw: str) -> bytes:
    # Accept a proper Fernet key, or derive one from any other secret string.
    try:
        if len(base64.urlsafe_b64decode(raw.encode())) == 32:
            return raw.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest())


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.PII_KEYS))


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    return cipher().decrypt(token.encode()).decode() if token else ""


def reencrypt(token: str) -> str:
    """Re-encrypt with the newest key (key rotation)."""
    return cipher().rotate(token.encode()).decode() if token else ""


def blind_index(value: str) -> str:
    """Keyed hash used to find a row by an exact PII value without decrypting."""
    if not value:
        return ""
    normalized = value.strip().upper()
    key = settings.PII_HASH_KEY.encode()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def mask_id_number(number: str) -> str:
    return f"{number[:6]}********{number[-4:]}" if len(number) >= 10 else "****"


PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def normalize_phone(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", phone or "")
    return phone[3:] if phone.startswith("+86") else phone


def is_valid_phone(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def id_number_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_number_error(number: str) -> str | None:
    """A Chinese error message for an invalid 居民身份证号 (GB 11643), or None."""
    number = (number or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return "身份证号应为 18 位，最后一位可以是数字或 X"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if id_number_check_char(number[:17]) != number[17]:
        return "身份证号校验位不正确"
    return None


class EncryptedTextField(models.TextField):
    """Stores ciphertext, gives plaintext to Python. Pair it with a blind-index field."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        return decrypt(value) if value else ""

    def get_prep_value(self, value: Any) -> str:
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""
