"""Small interval tables shared by the label tests."""

import pandas as pd


def intervals(chrom, spans):
    """A BED-like table ``chrom, start, end`` of ``spans`` (pairs) on one chromosome."""
    return pd.DataFrame(
        {
            "chrom": [chrom] * len(spans),
            "start": [s for s, _ in spans],
            "end": [e for _, e in spans],
        }
    )
