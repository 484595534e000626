"""The positive control of TF-MoDISco and TOMTOM on planted motifs (rule motif_control).

Run before the per-model TF-MoDISco jobs, it also fills numba's cache of the motif kernels.
"""

import logging
import time

from attrprior.io import log_to_file, write_tsv
from attrprior.motif_control import JASPAR_RELEASE, run_motif_control
from attrprior.pwms import load_jaspar_motifs

log_to_file(snakemake.log[0])
start = time.perf_counter()
control = run_motif_control(load_jaspar_motifs(JASPAR_RELEASE))
seconds = time.perf_counter() - start
logging.info("%.1f s (numba compiles the kernels here when its cache is empty)", seconds)
if not control["found"].all():
    logging.warning(
        "positive control: planted motifs not found: %s",
        ", ".join(control.loc[~control["found"], "target_name"]),
    )
write_tsv(control, snakemake.output.control)
