"""Download a non-ENCODE file (GEO, Zenodo...), verified by the md5 in the config
(rule download_external)."""

import dataclasses
import json
import logging

from attrprior.encode import PortalClient
from attrprior.io import write_text

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
name = snakemake.wildcards.name
# The URL is read from the config, not params: a new mirror must not make a verified file stale.
url = snakemake.config["external"][name]["url"]
settings = snakemake.config.get("encode", {})
with PortalClient(
    retries=settings.get("retries", 5),
    backoff=settings.get("backoff", 2.0),
    timeout=settings.get("timeout", 120.0),
) as client:
    record = client.download_url(
        url,
        snakemake.output.file,
        md5=snakemake.params.md5,
        size=snakemake.params.size,
        accession=name,
    )
logging.info("downloaded %s", record)
write_text(json.dumps(dataclasses.asdict(record), indent=1) + "\n", snakemake.output.record)
