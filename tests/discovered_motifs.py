"""A DiscoveredMotif from a PPM, shared by the motif tests."""

import numpy as np
import pandas as pd

from attrprior import motifs as mt


def discovered_motif(ppm, name="m", sign=1, cwm=None, seqlets=()) -> mt.DiscoveredMotif:
    """A motif with PPM ``ppm`` (4, W), CWM ``ppm - 0.25`` unless given, and ``seqlets``."""
    ppm = np.asarray(ppm, dtype=float)
    return mt.DiscoveredMotif(
        name=name,
        sign=sign,
        ppm=ppm,
        cwm=ppm - 0.25 if cwm is None else cwm,
        hypothetical_cwm=ppm - 0.25,
        seqlets=pd.DataFrame(list(seqlets), columns=["example", "start", "end", "strand"]),
    )
