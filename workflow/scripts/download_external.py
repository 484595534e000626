"""Download a non-ENCODE file (GEO, Zenodo...), verified by the md5 in the config
(rule download_external)."""

import logging

from attrprior.encode import client_from_config, write_record

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
name = snakemake.wildcards.name
# The URL is read from the config, not params: a new mirror must not make a verified file stale.
url = snakemake.config["external"][name]["url"]
with client_from_config(snakemake.config.get("encode")) as client:
    record = client.download_url(
        url,
        snakemake.output.file,
        md5=snakemake.params.md5,
        size=snakemake.params.size,
        accession=name,
    )
logging.info("downloaded %s", record)
write_record(record, snakemake.output.record)
