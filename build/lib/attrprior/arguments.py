"""Checks of scalar arguments shared by the library, each error naming the argument."""

from __future__ import annotations

import numpy as np


def check_int(value: int, name: str, minimum: int) -> None:
    """Refuse anything but an integer (Python or NumPy, not bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")


def check_fraction(value: float, name: str) -> None:
    """Refuse a value outside [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected a value in [0, 1], got {value!r}")
