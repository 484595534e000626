"""Index a downloaded BAM with pysam (rule index_bam)."""

import logging

from attrprior.tracks import index_bam

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
logging.info("indexed %s", index_bam(snakemake.input.bam))
