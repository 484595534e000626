"""Chromosome names of genomic files, and renaming them.

Files from different sources name the same chromosome differently (Ensembl ``22``, UCSC
``chr22``). :func:`sequence_names` reads the names a file uses, whatever its kind (FASTA,
BAM, bigWig, or a table with the chromosome in its first column: BED, narrowPeak,
chromosome sizes); :func:`rename_chroms` writes a copy with names mapped by an alias table;
:func:`check_shared_names` stops on two files that share no chromosome name.

Reading names needs only the standard library (the workflow calls it when it starts, before
any job), except for bigWigs (pyBigWig). Renaming BAMs needs pysam, bigWigs pyBigWig.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path

_GZIP_MAGIC = b"\x1f\x8b"
_BIGWIG_MAGIC = (0x888FFC26).to_bytes(4, "little")
_BAM_MAGIC = b"BAM\x01"
# Lines of BED-like files that are not records.
_TABLE_HEADERS = ("#", "track", "browser")
# The name in a FASTA header (after ">") and in a table's first column.
_FASTA_NAME = re.compile(r"(?<=^>)(\S+)")
_TABLE_NAME = re.compile(r"^(\S+)")


def _open_text(path: Path):
    """A text handle on a plain or gzip-compressed file."""
    with open(path, "rb") as handle:
        compressed = handle.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rt") if compressed else open(path)


def file_kind(path: str | os.PathLike) -> str:
    """The kind of a genomic file, from its content (not its name).

    Returns
    -------
    str
        ``"fasta"`` (plain or gzip, first character ``>``), ``"fastq"`` (``@``: reads, which
        name no chromosome), ``"bam"``, ``"bigwig"`` or ``"table"`` (anything else:
        tab-separated text, plain or gzip, chromosome first).
    """
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head == _BIGWIG_MAGIC:
        return "bigwig"
    if head[:2] == _GZIP_MAGIC:
        with gzip.open(path, "rb") as handle:
            start = handle.read(4)
        if start == _BAM_MAGIC:
            return "bam"
        head = start
    return {b">": "fasta", b"@": "fastq"}.get(head[:1], "table")


def sequence_names(path: str | os.PathLike) -> list[str]:
    """The chromosome (sequence) names ``path`` uses, in file order, each once.

    FASTA: the headers' first words (from the ``.fai`` index beside it when there is one,
    which spares reading a whole genome); BAM: the header's reference names; bigWig: its
    chromosomes; a table: the first column of its records; FASTQ: none.

    Raises
    ------
    ValueError
        Naming the file, if it cannot be read as its kind.
    """
    path = Path(path)
    kind = file_kind(path)
    try:
        if kind == "bam":
            return _bam_names(path)
        if kind == "bigwig":
            import pyBigWig  # only bigWigs need it

            with contextlib.closing(pyBigWig.open(str(path))) as bigwig:
                return list(bigwig.chroms())
        if kind == "fasta":
            return _fasta_names(path)
        if kind == "fastq":
            return []
        return _table_names(path)
    except (OSError, EOFError, UnicodeDecodeError, struct.error, RuntimeError) as error:
        raise ValueError(
            f"{path}: cannot read the chromosome names of this {kind} file: {error}"
        ) from error


def _fasta_names(path: Path) -> list[str]:
    fai = path.with_name(path.name + ".fai")
    if fai.is_file():
        return [line.split("\t", 1)[0] for line in fai.read_text().splitlines() if line]
    with _open_text(path) as handle:
        return [line[1:].split(None, 1)[0] for line in handle if line.startswith(">")]


def _table_names(path: Path) -> list[str]:
    names = {}
    with _open_text(path) as handle:
        for line in handle:
            if not line.strip() or line.startswith(_TABLE_HEADERS):
                continue
            names.setdefault(line.split("\t", 1)[0].split(None, 1)[0], None)
    return list(names)


def _bam_names(path: Path) -> list[str]:
    """Reference names from a BAM header (SAM specification 4.2), read with gzip alone."""
    with gzip.open(path, "rb") as handle:
        if handle.read(4) != _BAM_MAGIC:
            raise ValueError(f"{path}: not a BAM file")
        (l_text,) = struct.unpack("<i", handle.read(4))
        handle.read(l_text)
        (n_ref,) = struct.unpack("<i", handle.read(4))
        names = []
        for _ in range(n_ref):
            (l_name,) = struct.unpack("<i", handle.read(4))
            names.append(handle.read(l_name).rstrip(b"\0").decode())
            handle.read(4)  # l_ref
    return names


def fasta_lengths(path: str | os.PathLike) -> dict[str, int]:
    """Name -> length of every sequence of a FASTA (plain or gzip), in file order: the
    chromosome sizes of a genome given only as a FASTA.

    Raises
    ------
    ValueError
        Naming the file, if it is not FASTA or names a sequence twice.
    """
    path = Path(path)
    lengths: dict[str, int] = {}
    name = None
    with _open_text(path) as handle:
        for line in handle:
            if line.startswith(">"):
                name = line[1:].split(None, 1)[0] if line[1:].strip() else ""
                if not name or name in lengths:
                    raise ValueError(f"{path}: sequence name {name!r} empty or repeated")
                lengths[name] = 0
            elif name is None:
                if line.strip():
                    raise ValueError(f"{path}: not FASTA (no '>' header before the bases)")
            else:
                lengths[name] += len(line.strip())
    if not lengths:
        raise ValueError(f"{path}: no sequence")
    empty = [name for name, length in lengths.items() if length == 0]
    if empty:
        raise ValueError(f"{path}: sequences without bases: {empty[:5]}")
    return lengths


def parse_split_region(entry: str) -> tuple[str, int, int | None]:
    """A held-out split entry: ``"chr1"`` (the whole chromosome) or
    ``"chr22:16000000-18000000"`` (0-based, end excluded, as in BED).

    Returns
    -------
    tuple
        ``(chrom, start, end)``; ``end`` None for a whole chromosome.

    Raises
    ------
    ValueError
        For a malformed entry or an empty region.
    """
    match = re.fullmatch(r"([^:\s]+)(?::([0-9]+)-([0-9]+))?", str(entry))
    if not match:
        raise ValueError(f"split entry {entry!r}: expected 'chrom' or 'chrom:start-end'")
    chrom, start, end = match.groups()
    if start is None:
        return chrom, 0, None
    if int(end) <= int(start):
        raise ValueError(f"split entry {entry!r}: the region is empty (end <= start)")
    return chrom, int(start), int(end)


def read_aliases(value: Mapping[str, str] | str | os.PathLike) -> dict[str, str]:
    """A chromosome alias table: a mapping, or a file of two columns (name in the files,
    name to use), tab- or space-separated, ``#`` comments allowed.

    Raises
    ------
    ValueError
        For a name mapped twice or a malformed line, naming the file and line.
    """
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    aliases: dict[str, str] = {}
    for number, line in enumerate(Path(value).read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2:
            raise ValueError(f"{value}:{number}: expected two columns (from, to), got {line!r}")
        if fields[0] in aliases:
            raise ValueError(f"{value}:{number}: {fields[0]!r} is mapped twice")
        aliases[fields[0]] = fields[1]
    return aliases


def renamed(names: Iterable[str], aliases: Mapping[str, str]) -> list[str]:
    """``names`` with each alias replaced (names without an alias kept)."""
    return [aliases.get(name, name) for name in names]


def check_shared_names(
    genome: str | os.PathLike,
    genome_names: Iterable[str],
    other: str | os.PathLike,
    other_names: Iterable[str],
    hint: str = "",
) -> None:
    """Stop when ``other`` names none of the chromosomes ``genome`` names.

    Raises
    ------
    ValueError
        Naming both files and a few names of each, plus ``hint`` (e.g. the config key that
        maps names).
    """
    genome_names, other_names = list(genome_names), list(other_names)
    if not other_names or set(genome_names) & set(other_names):
        return
    raise ValueError(
        f"chromosome names differ: {genome} names {_few(genome_names)} but {other} names "
        f"{_few(other_names)}; none is shared{hint}"
    )


def _few(names: list[str], n: int = 4) -> str:
    shown = ", ".join(repr(name) for name in names[:n])
    return f"[{shown}{', ...' if len(names) > n else ''}] ({len(names)})"


def rename_chroms(
    source: str | os.PathLike, dest: str | os.PathLike, aliases: Mapping[str, str]
) -> int:
    """Write ``source`` to ``dest`` with its chromosome names mapped by ``aliases``.

    FASTA and tables keep their compression (gzip in, gzip out); BAMs are rewritten with the
    renamed header (the records refer to references by index, so they are copied as they
    are); bigWigs are rewritten interval by interval. ``dest`` is written directly: write
    into a temporary path and rename (:func:`attrprior.io.atomic_path`).

    Returns
    -------
    int
        How many of the file's names were renamed.
    """
    source, dest = Path(source), Path(dest)
    kind = file_kind(source)
    names = sequence_names(source)
    count = sum(name in aliases for name in names)
    if count == 0:
        shutil.copyfile(source, dest)
        return 0
    if kind == "bam":
        _rename_bam(source, dest, aliases)
    elif kind == "bigwig":
        _rename_bigwig(source, dest, aliases)
    else:
        _rename_text(source, dest, aliases, kind)
    return count


def _rename_text(source: Path, dest: Path, aliases: Mapping[str, str], kind: str) -> None:
    with open(source, "rb") as handle:
        compressed = handle.read(2) == _GZIP_MAGIC
    opener = gzip.open if compressed else open
    with _open_text(source) as reader, opener(dest, "wt") as writer:
        for line in reader:
            if kind == "fasta" and line.startswith(">"):
                line = _FASTA_NAME.sub(lambda m: aliases.get(m[1], m[1]), line, count=1)
            elif kind == "table" and line.strip() and not line.startswith(_TABLE_HEADERS):
                line = _TABLE_NAME.sub(lambda m: aliases.get(m[1], m[1]), line, count=1)
            writer.write(line)


def _rename_bam(source: Path, dest: Path, aliases: Mapping[str, str]) -> None:
    import pysam  # only BAMs need it

    with pysam.AlignmentFile(str(source), "rb") as reader:
        header = reader.header.to_dict()
        for entry in header.get("SQ", []):
            entry["SN"] = aliases.get(entry["SN"], entry["SN"])
        with pysam.AlignmentFile(str(dest), "wb", header=header) as writer:
            for read in reader.fetch(until_eof=True):
                writer.write(read)


# bigWigs are copied in blocks of this many bp, so memory does not grow with a chromosome.
_BIGWIG_BLOCK = 10_000_000


def _rename_bigwig(source: Path, dest: Path, aliases: Mapping[str, str]) -> None:
    import pyBigWig  # only bigWigs need it

    reader = pyBigWig.open(str(source))
    writer = pyBigWig.open(str(dest), "w")
    try:
        chroms = reader.chroms()
        writer.addHeader([(aliases.get(c, c), int(n)) for c, n in chroms.items()])
        for chrom, length in chroms.items():
            for block in range(0, length, _BIGWIG_BLOCK):
                end = min(block + _BIGWIG_BLOCK, length)
                # An interval across the block's start came with the block before.
                intervals = [i for i in reader.intervals(chrom, block, end) or () if i[0] >= block]
                if intervals:
                    starts, ends, values = zip(*intervals, strict=True)
                    writer.addEntries(
                        [aliases.get(chrom, chrom)] * len(starts),
                        list(starts),
                        ends=list(ends),
                        values=[float(v) for v in values],
                    )
    finally:
        reader.close()
        writer.close()
