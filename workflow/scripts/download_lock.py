"""Record what a dataset downloaded (accession, URL, md5, size, path, and the experiment and
output type a file was resolved from) (rule download_lock)."""

import logging

from attrprior.genomics.downloads import read_records, write_lock
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
# Per-file records hold one download, those of replicate directories several.
records = [record for path in snakemake.input.records for record in read_records(path)]
write_lock(records, snakemake.output.lock)
logging.info("%d files recorded in %s", len(records), snakemake.output.lock)
