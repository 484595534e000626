"""Names of attribution maps: ``<method>`` for a raw map, ``<method>_corrected`` for its
gradient-corrected form (Majdandzic et al. 2023), as the ``attribute`` rule stores them.

The one place the suffix is written and read.
"""

from __future__ import annotations

CORRECTED_SUFFIX = "_corrected"


def corrected_name(method: str) -> str:
    """The name of ``method``'s corrected map: ``"saliency"`` -> ``"saliency_corrected"``."""
    return f"{method}{CORRECTED_SUFFIX}"


def split_map_name(name: str) -> tuple[str, bool]:
    """``(method, corrected)`` of a map name: ``"deepshap_corrected"`` -> ``("deepshap", True)``."""
    return name.removesuffix(CORRECTED_SUFFIX), name.endswith(CORRECTED_SUFFIX)
