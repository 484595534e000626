"""5' read counts of one task's replicates (or its control), each BAM filtered
(params.read_filter: exclude_flags, min_mapq; the reference's -F 780 -q 30), summed, as bigWig:
per strand (rule profile_tracks: outputs pos, neg) or both strands together (rule
profile_tracks_unstranded: output unstranded). Each BAM is read once by samtools; the
builder logs how many alignments it kept ("kept N of M alignments") into the rule's log."""

import logging
from pathlib import Path

from attrprior.genomics.bigwig import bams_to_bigwig, bams_to_stranded_bigwigs
from attrprior.genomics.peaks import read_chrom_sizes
from attrprior.genomics.tracks import ReadFilter
from attrprior.io import log_to_file

log_to_file(snakemake.log[0])


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
read_filter = ReadFilter(**snakemake.params.read_filter)
if "unstranded" in snakemake.output.keys():
    paths = bams_to_bigwig(bams, sizes, snakemake.output.unstranded, None, read_filter=read_filter)
else:
    paths = bams_to_stranded_bigwigs(
        bams, sizes, snakemake.output.pos, snakemake.output.neg, read_filter=read_filter
    )
logging.info("wrote %s from %d BAMs: %s", paths, len(bams), ", ".join(map(str, bams)))
