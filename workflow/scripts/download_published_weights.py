"""Download one published model weights file from its repository, verified by the md5
and size the package lists for it (rule download_published_weights)."""

import logging
import posixpath

from attrprior.genomics.downloads import write_record
from attrprior.genomics.encode import client_from_config
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
download = snakemake.params.download
# The host is read from the config, not params (a new mirror must not make files stale).
raw_url = snakemake.config.get("github", {}).get("raw_url", "https://raw.githubusercontent.com")
url = posixpath.join(raw_url, download["repository"], download["commit"], download["path"])
with client_from_config(snakemake.config.get("encode")) as client:
    record = client.download_url(
        url,
        snakemake.output.file,
        md5=download["md5"],
        size=download["size"],
        accession=f"{snakemake.wildcards.model} seed {snakemake.wildcards.seed}",
    )
logging.info("downloaded %s", record)
write_record(record, snakemake.output.record)
