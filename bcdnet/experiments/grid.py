"""Grids: the cartesian product of a few axes over a base configuration.

A grid is a dict ``{"base": {...}, "axes": {field: [values, ...], ...}}`` (both optional),
or a list of such dicts (their configs one after the other), or a list of configs.  An
axis may also vary several fields together: its values are then dicts merged into the
base, e.g. ``"strategy": [{"selector": "random"}, {"selector": "all", "trainer": {...}}]``.
The order of the configs is the order of the axes (the last varies fastest), duplicates
removed; it is the order of a serial sweep and of the result file, never of the results.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from .config import DEFAULTS, config_id, normalise

__all__ = ["expand", "load_grid"]


def _merge(base: dict, value, axis: str) -> dict:
    if axis in DEFAULTS:
        return {**base, axis: value}
    if not isinstance(value, dict):
        raise ValueError(f"grid axis {axis!r} is not a config field, so its values must be "
                         f"dicts of fields to set; got {value!r}")
    return {**base, **value}


def _expand_one(spec: dict) -> list[dict]:
    if not isinstance(spec, dict):
        raise TypeError(f"a grid must be a dict, a list of dicts or a list of configs; got "
                        f"{type(spec).__name__}")
    if not set(spec) <= {"base", "axes", "name"}:
        return [normalise(spec)]                       # a single config
    base, axes = spec.get("base", {}), spec.get("axes", {})
    for axis, values in axes.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"grid axis {axis!r} must be a non-empty list; got {values!r}")
    out = []
    for combo in itertools.product(*axes.values()):
        config = dict(base)
        for axis, value in zip(axes, combo):
            config = _merge(config, value, axis)
        out.append(normalise(config))
    return out


def expand(grid) -> list[dict]:
    """The normalised configs of ``grid`` in order, each once.

    Raises TypeError or ValueError (naming the axis or field) for a malformed grid.
    """
    specs = grid if isinstance(grid, list) else [grid]
    out, seen = [], set()
    for spec in specs:
        for config in _expand_one(spec):
            key = config_id(config)
            if key not in seen:
                seen.add(key)
                out.append(config)
    return out


def load_grid(path) -> list[dict]:
    """Read a grid from a JSON file and expand it.

    Raises FileNotFoundError, or ValueError naming the file for JSON it cannot parse.
    """
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    return expand(spec)
