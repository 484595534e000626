"""Config values that default to other keys' values, computed on plain dicts.

Standard library only: the workflow loads this file at parse time (``rules/common.smk``),
before any job, and the training code imports its constants, so each default is written
once.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The Fourier prior's ``freq_limit`` for profile models when the condition sets none
#: (Tseng et al.'s profile-model code).
PROFILE_FOURIER_FREQ_LIMIT = 200


def fourier_freq_limits(dataset: Mapping, models: Mapping) -> set[int]:
    """The ``freq_limit`` of every Fourier-prior condition of a dataset, for each of its
    models: the condition's ``params.freq_limit``, or for a profile model
    :data:`PROFILE_FOURIER_FREQ_LIMIT` when it sets none.

    Parameters
    ----------
    dataset : mapping
        A ``datasets.<name>`` entry (``models``, ``conditions``).
    models : mapping
        The config's ``models`` (name -> ``architecture``, ...).
    """
    limits = set()
    for entry in dataset.get("conditions", {}).values():
        if (entry or {}).get("prior") != "fourier":
            continue
        for model in dataset.get("models", []):
            limit = entry.get("params", {}).get("freq_limit")
            if limit is None and models[model]["architecture"] == "tseng_profile":
                limit = PROFILE_FOURIER_FREQ_LIMIT
            if limit is not None:
                limits.add(int(limit))
    return limits


def default_highfreq_limit(dataset: Mapping, models: Mapping) -> int | None:
    """``evaluation.highfreq_limit`` when the config leaves it out: the frequency above
    which the high-frequency score sums is the one above which the dataset's Fourier prior
    penalises (Tseng et al. use one T for both). None when the dataset's Fourier
    conditions have no limit or several."""
    limits = fourier_freq_limits(dataset, models)
    return limits.pop() if len(limits) == 1 else None
