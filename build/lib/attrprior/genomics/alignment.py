"""Reads to alignments: a bowtie2 index of a reference genome, and single-end FASTQ files
aligned to it as a coordinate-sorted, indexed BAM.

Most of the workflow's reads come aligned (ENCODE's BAMs). The exception is Tseng et al.'s
control for the K562 DNase-seq profile model: naked-DNA DNase-seq (SRA SRR1565781), published
only as reads. It is aligned here with bowtie2 (end-to-end, the default mode, so a read's 5′
end is where DNase I cut) and kept *unfiltered*, like ENCODE's "unfiltered alignments": the
profile tracks filter every BAM the same way when they count 5′ ends
(:data:`attrprior.genomics.tracks.DEFAULT_READ_FILTER`).

The two steps run external programs, which must be on ``PATH`` (the workflow's conda
environment ``envs/align.yaml``; on Debian ``apt-get install bowtie2 samtools``):

1. :func:`build_bowtie2_index` runs ``bowtie2-build`` on a (gzipped) FASTA: six ``.bt2``
   files next to ``prefix`` (genomes up to 4 Gbp; larger ones would need bowtie2's
   ``.bt2l`` large index).
2. :func:`align_single_end` runs ``bowtie2 --reorder -U`` piped into ``samtools sort``, then
   ``samtools index``. ``--reorder`` keeps reads in input order whatever the thread count,
   so a seed gives the same BAM on any machine.

Each writes to temporary names in the target's directory and renames only on success, so a
failure leaves nothing that looks complete.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BOWTIE2_INDEX_SUFFIXES",
    "AlignmentSummary",
    "align_single_end",
    "bowtie2_index_files",
    "build_bowtie2_index",
    "parse_bowtie2_summary",
]

#: Files of a (small) bowtie2 index, after its prefix.
BOWTIE2_INDEX_SUFFIXES = (".1.bt2", ".2.bt2", ".3.bt2", ".4.bt2", ".rev.1.bt2", ".rev.2.bt2")


@dataclass(frozen=True)
class AlignmentSummary:
    """bowtie2's summary of a single-end alignment.

    Attributes
    ----------
    reads : int
        Reads in the FASTQ files.
    unaligned, unique, multiple : int
        Reads aligned 0 times, exactly once, and more than once.
    """

    reads: int
    unaligned: int
    unique: int
    multiple: int

    @property
    def aligned_fraction(self) -> float:
        """Fraction of reads aligned at least once (0 for no reads)."""
        return (self.unique + self.multiple) / self.reads if self.reads else 0.0


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(
            f"{name} not found on PATH: it comes with the conda environment envs/align.yaml "
            "(on Debian: apt-get install bowtie2 samtools)"
        )
    return path


def bowtie2_index_files(prefix: str | os.PathLike) -> list[Path]:
    """The six files of the bowtie2 index ``prefix``, in :data:`BOWTIE2_INDEX_SUFFIXES` order."""
    return [Path(f"{prefix}{suffix}") for suffix in BOWTIE2_INDEX_SUFFIXES]


def build_bowtie2_index(
    fasta: str | os.PathLike, prefix: str | os.PathLike, *, threads: int = 1, seed: int = 0
) -> list[Path]:
    """Build the bowtie2 index of a genome.

    Parameters
    ----------
    fasta : path-like
        Genome FASTA, plain or gzipped; every sequence is indexed (also contigs the workflow
        does not label, so that their reads do not align to the chromosomes instead).
    prefix : path-like
        Index prefix: the files are ``<prefix>.1.bt2`` ... ``<prefix>.rev.2.bt2``.
    threads : int
        ``bowtie2-build --threads``.
    seed : int
        ``bowtie2-build --seed`` (the index is then the same on every run).

    Returns
    -------
    list of Path
        The index files.

    Raises
    ------
    FileNotFoundError
        If ``fasta`` or ``bowtie2-build`` is missing.
    RuntimeError
        If ``bowtie2-build`` fails (its last output lines are quoted) or writes a large
        (``.bt2l``) index.
    """
    fasta, prefix = Path(fasta), Path(prefix)
    if not fasta.is_file():
        raise FileNotFoundError(f"genome FASTA {fasta} does not exist")
    _check_threads(threads)
    program = _program("bowtie2-build")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=prefix.parent, prefix=f".{prefix.name}.") as tmp:
        tmp_prefix = Path(tmp) / prefix.name
        command = [program, "--threads", str(threads), "--seed", str(seed), "-q"]
        _run(command + [str(fasta), str(tmp_prefix)], f"bowtie2-build of {fasta}")
        built = bowtie2_index_files(tmp_prefix)
        missing = [path.name for path in built if not path.is_file()]
        if missing:
            raise RuntimeError(
                f"bowtie2-build of {fasta} wrote no {missing} (a genome over 4 Gbp gets a "
                "large .bt2l index, which this workflow does not use)"
            )
        final = bowtie2_index_files(prefix)
        for source, target in zip(built, final, strict=True):
            os.replace(source, target)
    return final


def align_single_end(
    fastqs: Sequence[str | os.PathLike],
    index_prefix: str | os.PathLike,
    bam: str | os.PathLike,
    *,
    threads: int = 1,
    seed: int = 0,
) -> AlignmentSummary:
    """Align single-end reads with bowtie2 into a sorted, indexed BAM (unfiltered).

    Parameters
    ----------
    fastqs : sequence of path-like
        FASTQ files (plain or gzipped) of one library, aligned together.
    index_prefix : path-like
        A bowtie2 index (:func:`build_bowtie2_index`).
    bam : path-like
        Output BAM, sorted by coordinate; its index is written to ``<bam>.bai``. Every read
        is kept: unaligned ones (flag 4) and multi-mappers (low MAPQ) are for the track
        builder's read filter to drop.
    threads : int
        Threads of bowtie2 and of ``samtools sort``.
    seed : int
        ``bowtie2 --seed``, for the choice among equally good alignments.

    Returns
    -------
    AlignmentSummary
        bowtie2's read counts.

    Raises
    ------
    FileNotFoundError
        If a FASTQ, an index file, ``bowtie2`` or ``samtools`` is missing.
    RuntimeError
        If bowtie2 or samtools fails; the message names the FASTQ files and quotes the
        program's last lines.
    """
    fastqs = [Path(path) for path in fastqs]
    if not fastqs:
        raise ValueError("align_single_end: no FASTQ files")
    for path in fastqs:
        if not path.is_file():
            raise FileNotFoundError(f"FASTQ {path} does not exist")
    for path in bowtie2_index_files(index_prefix):
        if not path.is_file():
            raise FileNotFoundError(f"bowtie2 index file {path} does not exist")
    if any("," in str(path) for path in fastqs):
        raise ValueError(f"FASTQ paths may not contain ',' (bowtie2 -U splits on it): {fastqs}")
    _check_threads(threads)
    bowtie2, samtools = _program("bowtie2"), _program("samtools")
    bam = Path(bam)
    bam.parent.mkdir(parents=True, exist_ok=True)
    what = f"alignment of {', '.join(map(str, fastqs))}"
    with tempfile.TemporaryDirectory(dir=bam.parent, prefix=f".{bam.name}.") as tmp:
        tmp_bam = Path(tmp) / bam.name
        align = [
            bowtie2,
            "--reorder",
            "--seed",
            str(seed),
            "-p",
            str(threads),
            "-x",
            str(index_prefix),
            "-U",
            ",".join(map(str, fastqs)),
        ]
        sort = [samtools, "sort", "-@", str(threads), "-T", str(Path(tmp) / "sort")]
        sort += ["-o", str(tmp_bam), "-"]
        summary = _run_pipe(align, sort, what)
        _run([samtools, "index", str(tmp_bam)], f"indexing of {bam}")
        os.replace(tmp_bam, bam)
        os.replace(f"{tmp_bam}.bai", f"{bam}.bai")
    return parse_bowtie2_summary(summary)


def parse_bowtie2_summary(text: str) -> AlignmentSummary:
    """Read counts from bowtie2's single-end summary (its standard error).

    Parameters
    ----------
    text : str
        bowtie2's summary, e.g. ``"1000 reads; of these: ... 12 (1.20%) aligned 0 times ...
        950 (95.00%) aligned exactly 1 time ... 38 (3.80%) aligned >1 times ..."``.

    Raises
    ------
    ValueError
        If a count is missing (e.g. the summary of a paired-end run).
    """
    patterns = {
        "reads": r"^(\d+) reads; of these:",
        "unaligned": r"^\s*(\d+) \([\d.]+%\) aligned 0 times$",
        "unique": r"^\s*(\d+) \([\d.]+%\) aligned exactly 1 time$",
        "multiple": r"^\s*(\d+) \([\d.]+%\) aligned >1 times$",
    }
    counts = {}
    for name, pattern in patterns.items():
        match = re.search(pattern, text, flags=re.MULTILINE)
        if match is None:
            raise ValueError(f"bowtie2 summary has no {name!r} count:\n{text}")
        counts[name] = int(match.group(1))
    return AlignmentSummary(**counts)


# Not attrprior.arguments.check_int: this module runs in envs/align.yaml, which has no NumPy.
def _check_threads(threads: int) -> None:
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads: expected an int >= 1, got {threads!r}")


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run(command: list[str], what: str) -> str:
    """Run a command; return its standard error, or raise naming ``what``."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({Path(command[0]).name} exited with {result.returncode}):\n"
            f"{_tail(result.stderr + result.stdout)}"
        )
    return result.stderr


def _run_pipe(first: list[str], second: list[str], what: str) -> str:
    """Run ``first | second``; return the first's standard error, or raise naming ``what``."""
    with (
        tempfile.TemporaryFile(mode="w+") as first_err,
        tempfile.TemporaryFile(mode="w+") as second_err,
    ):
        upstream = subprocess.Popen(first, stdout=subprocess.PIPE, stderr=first_err)
        downstream = subprocess.Popen(second, stdin=upstream.stdout, stderr=second_err)
        # Only the second process reads the pipe now: close our end, so that the first gets
        # SIGPIPE if the second dies.
        upstream.stdout.close()
        downstream_code = downstream.wait()
        upstream_code = upstream.wait()
        first_err.seek(0)
        second_err.seek(0)
        first_text, second_text = first_err.read(), second_err.read()
    for command, code, text in (
        (first, upstream_code, first_text),
        (second, downstream_code, second_text),
    ):
        if code != 0:
            raise RuntimeError(
                f"{what} failed ({Path(command[0]).name} exited with {code}):\n{_tail(text)}"
            )
    return first_text
