"""Pinyin keys for names, fast enough for a 400 k-row import, identical to people.names.

`people.names.name_keys` runs pypinyin's whole pipeline (segmentation, phrase lookup, style
conversion): about 25 µs a name, 10 s for a county's residents. A name that contains no
word of pypinyin's phrase dictionary is read character by character by that same pipeline,
so for such names the per-character readings (cached) give the same keys at a fraction of
the cost. Every other name (phrases, non-Chinese characters, long strings) goes through
`name_keys` itself. `tests/test_pinyin.py` checks the equivalence on many names.
"""

from __future__ import annotations

from functools import cache, lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from linli.people.names import name_keys

_MAX_FAST_LENGTH = 6


@cache
def _char_reading(char: str) -> str:
    readings = lazy_pinyin(char, style=Style.NORMAL, errors="default")
    return readings[0].lower() if len(readings) == 1 else ""


@lru_cache(maxsize=131072)
def name_keys_fast(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, exactly as `people.names.name_keys` gives them."""
    name = name.strip()
    length = len(name)
    if not 0 < length <= _MAX_FAST_LENGTH:
        return name_keys(name)
    readings = []
    for char in name:
        if ord(char) not in PINYIN_DICT:
            return name_keys(name)
        reading = _char_reading(char)
        if not reading or not reading.isalpha():
            return name_keys(name)
        readings.append(reading)
    for start in range(length - 1):
        for end in range(start + 2, length + 1):
            if name[start:end] in PHRASES_DICT:
                return name_keys(name)
    return "".join(readings), "".join(r[0] for r in readings)
