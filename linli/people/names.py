"""Pinyin keys for finding residents by name: 张三 → ("zhangsan", "zs")."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower case, no spaces or tones; non-Chinese kept as typed."""
    syllables = [s.lower() for s in lazy_pinyin(name.strip(), style=Style.NORMAL, errors="default")]
    syllables = [s for s in syllables if s.strip()]
    full = "".join(syllables).replace(" ", "")
    initials = "".join(s[0] for s in syllables if s)
    return full, initials
