"""The contract between the evaluation engine and the apps that provide data.

Each app declares, in its own `indicators.py`, `MEASURES = [Measure(...), ...]`. The engine
finds them at start-up (like admin.py autodiscovery) and never imports an app's models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """A number an app can compute per community.

    `compute(region_codes)` returns {community region code: value} for the given
    communities (None: every community), with one query where possible. The engine sums
    values upward (town, county) and builds ratios and coverage from them.
    """

    code: str
    name: str
    unit: str
    compute: Callable[[list[str] | None], dict[str, float]]
    level: str = "community"
    description: str = ""
