"""5' read counts per strand of one task's replicates (or its control), summed, as bigWig
(rule profile_tracks)."""

import logging
from pathlib import Path

from attrprior.peaks import read_chrom_sizes
from attrprior.tracks import bams_to_stranded_bigwigs

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")


def bam_files(inputs):
    """The BAMs named, and those of a directory named (rule download_experiment_alignments),
    sorted by name."""
    bams = []
    for path in map(Path, inputs):
        found = sorted(path.glob("*.bam")) if path.is_dir() else [path]
        if not found:
            raise FileNotFoundError(f"{path}: directory holds no BAM file (*.bam)")
        bams += found
    return bams


bams = bam_files(snakemake.input.bams)
sizes = read_chrom_sizes(snakemake.input.chrom_sizes)
paths = bams_to_stranded_bigwigs(bams, sizes, snakemake.output.pos, snakemake.output.neg)
logging.info("wrote %s from %d BAMs: %s", paths, len(bams), ", ".join(map(str, bams)))
