"""Copy one seed's trained files out of its pack (rule unpack_packed_seed)."""

import logging
import shutil
from pathlib import Path

from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
source = Path(snakemake.input.pack) / f"seed{snakemake.wildcards.seed}"
for key in ("model", "history", "test_metrics"):
    target = Path(snakemake.output[key])
    shutil.copyfile(source / target.name, target)
    logging.info("%s -> %s", source / target.name, target)
