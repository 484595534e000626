"""5' read counts per strand of one task's replicates (or its control), summed, as bigWig
(rule profile_tracks)."""

import logging

from attrprior.peaks import read_chrom_sizes
from attrprior.tracks import bams_to_stranded_bigwigs

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
sizes = read_chrom_sizes(snakemake.input.chrom_sizes)
paths = bams_to_stranded_bigwigs(
    list(snakemake.input.bams), sizes, snakemake.output.pos, snakemake.output.neg
)
logging.info("wrote %s from %d BAMs", paths, len(snakemake.input.bams))
