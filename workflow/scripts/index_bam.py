"""Index a downloaded BAM with pysam (rule index_bam)."""

import logging

from attrprior.genomics.tracks import index_bam
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])
logging.info("indexed %s", index_bam(snakemake.input.bam))
