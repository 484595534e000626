"""Majdandzic et al.'s ensemble difference of one dataset x model x condition (rule
ensemble_difference): attrprior.ensemble.ensemble_summary of the members' raw maps, against
the ground truth too where the attribution inputs hold one."""

import logging

import numpy as np
import pandas as pd

from attrprior.ensemble import ensemble_summary
from attrprior.io import load_npz, log_to_file, write_tsv

log_to_file(snakemake.log[0])
method = snakemake.params.method
maps = np.stack(
    [load_npz(path, "attribution maps", [method])[method] for path in snakemake.input.maps]
)
inputs = load_npz(snakemake.input.inputs, "attribution inputs")
truth = inputs.get("truth")
bins, members, summary = ensemble_summary(maps, truth, snakemake.params.bin_width)
n_filters, seeds = zip(*snakemake.params.members, strict=True)
run = {key: snakemake.wildcards[key] for key in ("dataset", "model", "condition")}
members = pd.concat(
    [
        pd.DataFrame(
            {
                "model": run["model"],
                "condition": run["condition"],
                "method": method,
                "member": members.pop("member"),
                "n_filters": n_filters,
                "seed": seeds,
            }
        ),
        members,
    ],
    axis=1,
)
write_tsv(pd.DataFrame([run | {"method": method} | summary]), snakemake.output.summary)
write_tsv(bins, snakemake.output.by_angle)
write_tsv(members, snakemake.output.members)
logging.info("%s, %s maps of %d models: %s", run, method, len(maps), summary)
