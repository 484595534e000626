"""Bring a local file (external.<name>.path) into the workflow, verified and recorded
(rule link_local_file)."""

import logging

from attrprior.genomics.downloads import import_local_file, write_record
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
name = snakemake.wildcards.name
record = import_local_file(
    snakemake.input.source,
    snakemake.output.file,
    md5=snakemake.params.md5,
    label=name,
    chrom_aliases=snakemake.params.aliases,
)
logging.info("brought in %s", record)
write_record(record, snakemake.output.record)
