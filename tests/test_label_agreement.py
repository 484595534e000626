"""attrprior.genomics.label_agreement: window labels against a simulated genome's bound sites."""

import numpy as np
import pytest
from peak_tables import intervals

from attrprior.genomics.label_agreement import label_agreement
from attrprior.genomics.labels import (
    load_binary_labels,
    write_binary_labels,
)


def test_label_agreement_known_answer(tmp_path):
    # chr1 of 3000 bp, one task, optimal peak [1000, 1200): positive bins 900..1100
    sizes = {"chr1": 3000}
    write_binary_labels(tmp_path / "l.npz", sizes, [intervals("chr1", [(1000, 1200)])])
    labels = load_binary_labels(tmp_path / "l.npz")
    sites = intervals("chr1", [(1095, 1105), (2000, 2010), (100, 110), (1960, 1962)])
    # site 1100 -> nearest bin centre 1100 -> bin 1000 (positive): recalled
    # site 2005 -> bin 1900 (kept, negative): scored, missed
    # site 105 -> bin 0 (window off the chromosome start): not scored
    # site 1961 -> (2*1961 - 200 + 50) // 100 = 37 -> bin 1850: scored, missed
    table = label_agreement(labels, [sites])
    row = table.iloc[0]
    assert (row["n_sites"], row["n_sites_scored"]) == (4, 3)
    assert row["recall"] == pytest.approx(1 / 3)
    # positives: bins 900, 950, 1000, 1050, 1100; site centre 1100 lies in bins 950..1100
    assert row["n_positive"] == 5
    assert row["precision"] == pytest.approx(4 / 5)
    wide = label_agreement(labels, [sites], max_distance=50)
    assert wide.iloc[0]["precision"] == 1.0  # bin 900 ends at 1100: distance 1 <= 50
    none = label_agreement(labels, [sites.iloc[:0]])
    assert np.isnan(none.iloc[0]["recall"]) and none.iloc[0]["precision"] == 0.0


# --- Koo-style regions ---------------------------------------------------------------------------
