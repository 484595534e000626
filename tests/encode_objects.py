"""ENCODE, Zenodo and ENA objects shared by the download tests: file bytes and their md5, file
and experiment objects, run accessions."""

import hashlib
import random

ACC = "ENCFF000AAA"
DATA = random.Random(0).randbytes(5000)
MD5 = hashlib.md5(DATA).hexdigest()


def file_object(
    accession, output_type, assembly="GRCh38", file_format="bam", status="released", rep=1, **more
):
    """An ENCODE file object with the keys the metadata checks read."""
    return {
        "accession": accession,
        "output_type": output_type,
        "assembly": assembly,
        "file_format": file_format,
        "status": status,
        "biological_replicates": rep if isinstance(rep, list) else [rep],
        **more,
    }


EXPERIMENT = {
    "accession": "ENCSR000AAA",
    "assay_title": "TF ChIP-seq",
    "target": {"label": "SPI1"},
    "biosample_ontology": {"term_name": "GM12878"},
    "status": "released",
    "possible_controls": [
        {"accession": "ENCSR000CTL", "@id": "/experiments/ENCSR000CTL/"},
        "/experiments/ENCSR000BGH/",
    ],
    "files": [
        file_object("ENCFF000UB2", "unfiltered alignments", rep=2),
        file_object("ENCFF000UB1", "unfiltered alignments", rep=1),
        file_object("ENCFF000HG1", "unfiltered alignments", assembly="hg19"),
        file_object("ENCFF000REV", "unfiltered alignments", status="revoked"),
        file_object("ENCFF000ALN", "alignments"),
        file_object("ENCFF000IDR", "optimal IDR thresholded peaks", file_format="bed"),
    ],
}
UNFILTERED = "unfiltered alignments"
RUN = "SRR1565781"
PAIRED = "ERR1234567"
MATES = {
    f"{PAIRED}.fastq.gz": random.Random(2).randbytes(100),  # unpaired reads come first
    f"{PAIRED}_1.fastq.gz": random.Random(3).randbytes(2000),
    f"{PAIRED}_2.fastq.gz": random.Random(4).randbytes(2001),
}
