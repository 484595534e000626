"""Record what a dataset downloaded (accession, URL, md5, size, path) (rule download_lock)."""

import logging

from attrprior.encode import read_record, write_lock

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
records = [read_record(path) for path in snakemake.input.records]
write_lock(records, snakemake.output.lock)
logging.info("%d files recorded in %s", len(records), snakemake.output.lock)
