"""Download one published model weights file from its repository, verified by the md5
and size the package lists for it (rule download_published_weights)."""

import logging

from attrprior.encode import client_from_config, write_record
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
download = snakemake.params.download
with client_from_config(snakemake.config.get("encode")) as client:
    record = client.download_url(
        download["url"],
        snakemake.output.file,
        md5=download["md5"],
        size=download["size"],
        accession=f"{snakemake.wildcards.model} seed {snakemake.wildcards.seed}",
    )
logging.info("downloaded %s", record)
write_record(record, snakemake.output.record)
