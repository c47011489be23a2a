"""A small terminal progress bar for the import/export commands (no dependency)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from linli.core.scoping import Scope

PHASES = {"validating": "校验", "writing": "写入", "exporting": "导出"}
# Run from the server's shell, a command acts for the platform unless --user says otherwise.
SYSTEM_SCOPE = Scope(is_global=True, can_write=True)


def actor_for(username: str | None) -> tuple[object, object]:
    """(principal, user) for --user, or the platform scope and no user."""
    if not username:
        return SYSTEM_SCOPE, None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"用户 {username} 不存在或已停用")
    return user, user


class ProgressBar:
    """`[########------------]  40%  校验 160000/400000  12.3 s`, redrawn in place on a
    terminal (at most 5 times a second), one line per 10 % elsewhere (logs)."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last = 0.0
        self._last_step: tuple[str, int] = ("", -1)
        self._drawn = False

    def __call__(self, phase: str, processed: int, total: int) -> None:
        fraction = processed / total if total else 0.0
        now = time.monotonic()
        label = PHASES.get(phase, phase)
        line = (
            f"[{'#' * int(fraction * self.WIDTH):-<{self.WIDTH}}] {fraction:4.0%}  "
            f"{label} {processed}/{total}  {now - self.started:.1f} s"
        )
        if self.tty:
            if now - self._last >= 0.2 or processed >= total:
                self._last = now
                self.stream.write("\r" + line)
                self.stream.flush()
                self._drawn = True
            return
        step = (phase, int(fraction * 10))
        if step != self._last_step:
            self._last_step = step
            self.stream.write(line + "\n")
            self.stream.flush()

    def done(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
