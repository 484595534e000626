"""Choose a tuned condition's weight from its grid runs (rule choose_weight)."""

import logging

import pandas as pd

from attrprior.io import log_to_file, write_tsv
from attrprior.stats import choose_weight, kept_validation_loss

log_to_file(snakemake.log[0])
runs = pd.DataFrame(
    {
        "weight": [float(w) for w in snakemake.params.weights],
        "seed": [int(s) for s in snakemake.params.seeds],
        "valid_loss": [
            kept_validation_loss(pd.read_csv(path, sep="\t")) for path in snakemake.input.histories
        ],
    }
)
logging.info("tuning runs:\n%s", runs.to_string(index=False))
choice = choose_weight(runs)
logging.info("chosen weight %g", choice.loc[choice["chosen"], "weight"].iloc[0])
write_tsv(choice, snakemake.output.choice)
