"""A small portal root (one ENCODE file and experiment, one Zenodo file, one ENA run) shared
by the portal tests."""

from attrprior.sim.portal_files import add_ena_run, add_experiment, add_file, add_zenodo_file

DATA = bytes(range(256)) * 8
ZDATA = bytes(range(255, -1, -1)) * 5
RUN = "SRR1565781"
FASTQ = {f"{RUN}_1.fastq.gz": b"@r1/1\nACGT\n+\nIIII\n", f"{RUN}_2.fastq.gz": b"@r1/2\nTT\n+\nII\n"}


def write_root(root):
    """Write the shared portal root at ``root``; returns ``root``."""
    add_file(root, "ENCFF000AAA", "ENCFF000AAA.bam", DATA, assembly="GRCh38")
    add_experiment(root, {"accession": "ENCSR000AAA", "files": []})
    add_zenodo_file(root, 3371216, "data.tar.gz", ZDATA, title="BPNet data")
    add_ena_run(root, RUN, FASTQ)
    return root
