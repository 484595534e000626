"""Download a non-ENCODE file (GEO, Zenodo...), verified by the md5 in the config or, for a
file of a Zenodo record, the md5 the record lists (rule download_external)."""

import logging

from attrprior.encode import ZENODO_URL, client_from_config, write_record

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
name = snakemake.wildcards.name
zenodo = snakemake.params.zenodo
with client_from_config(snakemake.config.get("encode")) as client:
    if zenodo is not None:
        record = client.download_zenodo_file(
            zenodo["record"],
            zenodo["file"],
            snakemake.output.file,
            # Read from the config, not params (as the URLs below): a mirror must not make
            # a verified file stale.
            base_url=snakemake.config.get("zenodo", {}).get("base_url", ZENODO_URL),
            expected_md5=snakemake.params.md5,
            label=name,
        )
    else:
        # The URL is read from the config, not params: a new mirror must not make a verified
        # file stale.
        record = client.download_url(
            snakemake.config["external"][name]["url"],
            snakemake.output.file,
            md5=snakemake.params.md5,
            size=snakemake.params.size,
            accession=name,
        )
logging.info("downloaded %s", record)
write_record(record, snakemake.output.record)
