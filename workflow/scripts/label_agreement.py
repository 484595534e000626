"""Agreement of the binary labels with a simulated genome's bound sites (rule
label_agreement).

Reported for all bound sites and, where the truth file has a ``strength`` column, for each
class (the simulator's strong sites get optimal peaks, weak ones only relaxed peaks, so weak
sites are expected to be ambiguous, not positive). Precision counts a positive window as
right when its central bin lies within ``max_distance`` bp of a site (peaks are wider than
a bin, so several neighbouring bins are positive for one site).
"""

import logging

import pandas as pd

from attrprior.genomics.label_agreement import label_agreement
from attrprior.genomics.labels import load_binary_labels
from attrprior.io import log_to_file, write_text, write_tsv
from attrprior.stats import to_markdown

log_to_file(snakemake.log[0])
labels = load_binary_labels(snakemake.input.labels)
sites = [
    pd.read_csv(path, sep="\t", comment=None).rename(columns={"#chrom": "chrom"})
    for path in snakemake.input.sites
]
subsets = {"all": list(sites)}
if all("strength" in table.columns for table in sites):
    for strength in sorted(set().union(*(table["strength"] for table in sites))):
        subsets[strength] = [table[table["strength"] == strength] for table in sites]
tables = []
for subset, truth in subsets.items():
    table = label_agreement(labels, truth, max_distance=snakemake.params.max_distance)
    tables.append(table.assign(sites=subset))
agreement = pd.concat(tables, ignore_index=True)
agreement = agreement[["sites", *[c for c in agreement.columns if c != "sites"]]]
write_tsv(agreement, snakemake.output.tsv)
write_text(to_markdown(agreement), snakemake.output.md)
logging.info("label agreement:\n%s", agreement.to_string(index=False))
