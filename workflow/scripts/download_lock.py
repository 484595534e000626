"""Record what a dataset downloaded (accession, URL, md5, size, path) (rule download_lock)."""

import json
import logging

from attrprior.encode import DownloadRecord, write_lock

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
records = []
for path in snakemake.input.records:
    with open(path) as handle:
        records.append(DownloadRecord(**json.load(handle)))
write_lock(records, snakemake.output.lock)
logging.info("%d files recorded in %s", len(records), snakemake.output.lock)
