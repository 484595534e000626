"""An empty blacklist, for an assembly the config gives none (rule empty_blacklist)."""

import logging

from attrprior.io import log_to_file, write_text

log_to_file(snakemake.log[0])
write_text("", snakemake.output.blacklist)
logging.info("no blacklist in the config: no region is excluded")
