"""attrprior.paper_values: every number the papers report, transcribed; our tables beside them."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attrprior import paper_values

PAPERS = Path(__file__).resolve().parents[2] / "shared" / "papers"


PAPER_FILES = {
    "tseng2020": "000_61fde7bb1f8b7d2e.txt",
    "majdandzic2023": "004_a3d1e6722aca52b5.txt",
}


# ---------------------------------------------------------------------------------------------
# The papers' values
# ---------------------------------------------------------------------------------------------


def test_paper_values_hold_the_tables_cells():
    values = paper_values.paper_values()
    assert set(values["paper"]) == {"tseng2020", "majdandzic2023"}
    assert np.isfinite(values["value"]).all()
    # Table 2, SPI1 binary: 95.6 ± 1.0 | 134.3 ± 1.0 | 29.8 ± 0.7 | 42.0 ± 0.8.
    spi1 = values[
        (values["target"] == "table2")
        & (values["dataset"] == "spi1")
        & (values["model"] == "binary")
    ].set_index(["condition", "statistic"])["value"]
    assert spi1[("none", "mean")] == 95.6 and spi1[("fourier", "mean")] == 134.3
    assert spi1[("none_vs_keep1", "sem")] == 0.7 and spi1[("fourier_vs_keep1", "mean")] == 42.0
    # Table 1 accuracies are fractions; Section 7's fractions as printed.
    acc = values[(values["target"] == "table1") & (values["metric"] == "test_accuracy")]
    assert acc["value"].between(0.8, 1).all()
    sim = values[(values["target"] == "table_simulation") & (values["statistic"] == "mean")]
    assert sorted(sim["value"]) == [0.218, 0.659]


def test_every_table_cell_is_present_once():
    values = paper_values.paper_values()
    cells = values[values["source"].isin(["Table 1", "Table 2", "Table 3", "Table 4"])]
    cells = cells[cells["statistic"].isin(["mean", "sem", "best", "value"])]
    # Table 1: 4 datasets x 3 metrics x 2; Table 2: 8 rows x 4 cells, each mean and SEM;
    # Table 3: 8 rows x (2 mean-and-SEM cells + 2 values); Table 4: 4 rows x the same 6.
    counts = cells.groupby("source").size().to_dict()
    assert counts == {"Table 1": 24, "Table 2": 64, "Table 3": 48, "Table 4": 24}
    keys = ["source", "model", "dataset", "condition", "metric", "statistic"]
    assert not cells.duplicated(keys).any()


@pytest.mark.skipif(not PAPERS.is_dir(), reason="the papers' texts are not next to this checkout")
def test_every_quote_is_in_its_paper():
    values = paper_values.paper_values()
    for paper, name in PAPER_FILES.items():
        text = " ".join((PAPERS / name).read_text().split())
        quotes = values.loc[values["paper"] == paper, "quote"]
        missing = [q for q in quotes if " ".join(q.split()) not in text]
        assert not missing, missing[:3]


def test_paper_value_text():
    rows = pd.DataFrame({"statistic": ["mean", "sem", "p_upper"], "value": [0.659, 0.027, 1e-6]})
    assert paper_values.paper_value_text(rows) == "0.659 ± 0.027, p < 1e-06"
    rows = pd.DataFrame({"statistic": ["range_low", "range_high"], "value": [0.2, 0.4]})
    assert paper_values.paper_value_text(rows) == "0.2–0.4"
    assert paper_values.paper_value_text(rows.iloc[0:0]) == ""


# ---------------------------------------------------------------------------------------------
# The verdict rule
# ---------------------------------------------------------------------------------------------


def test_add_paper_values_puts_the_papers_cells_beside_ours():
    ours = pd.DataFrame(
        {
            "dataset": ["spi1_encode", "spi1_encode", "mine", "spi1_encode"],
            "model": ["tseng_binary", "tseng_binary", "tseng_binary", "tseng_profile"],
            "condition": ["none", "fourier", "none", "none"],
            "metric": ["test_auroc", "test_accuracy", "test_auroc", "test_auroc"],
            "best": [0.9, 0.8, 0.7, 0.6],
        }
    )
    models = paper_values.paper_models(
        {"tseng_binary": "tseng_binary", "tseng_profile": "tseng_profile"}, {}
    )
    assert models == {"tseng_binary": "binary", "tseng_profile": "profile"}
    out = paper_values.add_paper_values(ours, "table1", {"spi1_encode": "spi1"}, models)
    # Table 1, SPI1: auROC 0.954 without the prior, accuracy 88.347 % with it; a dataset
    # without paper_dataset and the profile model (not in Table 1) get none.
    np.testing.assert_allclose(out["paper_best"], [0.954, 0.88347, np.nan, np.nan])
    assert "paper_mean" not in out.columns and list(out["best"]) == list(ours["best"])
    # Table 2's all-vs-1% rows look the paper's condition up under another name.
    stability = pd.DataFrame(
        {"dataset": ["d", "d"], "model": ["m", "m"], "condition": ["none", "fourier"]}
    )
    out = paper_values.add_paper_values(
        stability,
        "table2",
        {"d": "gata2"},
        {"m": "profile"},
        metric="stability",
        condition=["none", "fourier_vs_keep1"],
    )
    np.testing.assert_allclose(out["paper_mean"], [369.1, 121.6])
    np.testing.assert_allclose(out["paper_sem"], [10.1, 5.9])
    assert paper_values.paper_model_name("cnn_deep", "exponential") == "cnn_deep_exp"
