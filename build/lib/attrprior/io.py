"""File input and output shared by the library.

Output is atomic: written to a temporary file (or directory, :func:`atomic_directory`)
beside the target, then renamed, so a job that fails half-way leaves no file that looks
complete. :func:`read_npz` opens the library's own ``.npz`` files and turns any problem
reading one into an error naming it. :func:`extract_tar_member` takes one file out of a
downloaded tar archive (BPNet data, footprint collections). :func:`log_to_file` sends a
workflow script's log, and the traceback of whatever stops it, to its rule's log file.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import hashlib
import logging
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def log_to_file(path: str | os.PathLike) -> None:
    """Log to ``path`` (INFO and above, timestamped), the traceback of a failure included.

    For the workflow's scripts: ``log_to_file(snakemake.log[0])`` first thing, so that a job
    that fails says why in its own rule log (Snakemake shows a script's traceback only on
    its console; on SLURM that is a per-job file the executor removes). An uncaught
    exception is logged, then handled as before (printed, non-zero exit).
    """
    logging.basicConfig(
        filename=path, level=logging.INFO, format="%(asctime)s %(message)s", force=True
    )
    previous = sys.excepthook

    def log_then_raise(kind, value, traceback) -> None:
        logging.getLogger().error("failed:", exc_info=(kind, value, traceback))
        for handler in logging.getLogger().handlers:
            handler.flush()
        previous(kind, value, traceback)

    sys.excepthook = log_then_raise


def file_md5(path: str | os.PathLike) -> str:
    """The MD5 of a file's bytes (hex), read in 1 MiB blocks."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# tempfile's random part: 8 characters of [a-z0-9_].
_TEMP_NAME_CHARS = "[a-z0-9_]" * 8


def remove_leftovers(path: str | os.PathLike, suffix: str) -> list[Path]:
    """Remove temporary files or directories of ``path`` left by a killed atomic write.

    They are named as :func:`atomic_path` and :func:`atomic_directory` name them:
    ``.<name>.<8 random characters><suffix>`` beside ``path``. Returns what was removed.
    """
    path = Path(path)
    pattern = f".{glob.escape(path.name)}.{_TEMP_NAME_CHARS}{glob.escape(suffix)}"
    removed = []
    for leftover in path.parent.glob(pattern):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        logging.getLogger(__name__).info("removed %s, left by a killed job", leftover)
        removed.append(leftover)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final location. Its directory is created if missing.
    suffix : str, optional
        Suffix of the temporary file (some writers, such as NumPy's ``savez`` or
        Matplotlib's ``savefig``, choose the format from it); default: the target's suffix.

    On an exception the temporary file is removed and the exception re-raised. Temporary
    files of ``path`` left by an earlier writer that was killed are removed first (one job
    writes a given output at a time, so they are never another live writer's).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = suffix if suffix is not None else path.suffix
    remove_leftovers(path, suffix)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    _chmod_as_created(tmp, 0o666)  # mkstemp creates the file 0600
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a new temporary directory beside ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final location; it must not exist when the block ends (an empty directory there is
        replaced). Its parent is created if missing.

    On an exception, or if the rename fails, the temporary directory and everything in it are
    removed and the exception re-raised, so nothing is left that looks complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path, "")
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    _chmod_as_created(tmp, 0o777)  # mkdtemp creates the directory 0700
    try:
        yield tmp
        os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _chmod_as_created(path: str | os.PathLike, mode: int) -> None:
    """Give ``path`` the permissions a plain open() (``0o666``) or mkdir() (``0o777``)
    would: ``mode`` less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def write_tsv(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a DataFrame as a tab-separated file without its index, atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False)


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


@contextlib.contextmanager
def read_npz(path: str | os.PathLike, what: str) -> Iterator[np.lib.npyio.NpzFile]:
    """Open an ``.npz`` archive for reading (no pickles).

    Parameters
    ----------
    path : path-like
    what : str
        What the file should be (``"dataset"``, ``"motif"``), for error messages.

    Raises
    ------
    FileNotFoundError
        ``"<what> file not found: <path>"``.
    ValueError
        ``"<path>: not a valid <what> file (<reason>)"`` when the file is not an ``.npz``
        archive, or when reading it inside the ``with`` block fails with an OSError,
        ValueError, KeyError, TypeError or a broken zip (a missing key, bad JSON, ...).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    try:
        stored = np.load(path, allow_pickle=False)
        if not isinstance(stored, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with stored:
            yield stored
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a valid {what} file ({error})") from error


def load_npz(
    path: str | os.PathLike, what: str, keys: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Arrays of an ``.npz`` archive, read now; errors name the file (:func:`read_npz`).

    Parameters
    ----------
    path : path-like
    what : str
        What the file should be (``"attribution inputs"``), for error messages.
    keys : sequence of str, optional
        The arrays to read (each is decompressed on reading); default every array.

    Returns
    -------
    dict of str to numpy.ndarray

    Raises
    ------
    ValueError
        Also when one of ``keys`` is not in the file (naming the file and its arrays).
    """
    with read_npz(path, what) as stored:
        missing = sorted(set(keys or ()) - set(stored.files))
        if missing:
            raise ValueError(f"{path}: no {missing} in this {what} file (has {stored.files})")
        return {key: stored[key] for key in (stored.files if keys is None else keys)}


def extract_tar_member(
    archive: str | os.PathLike, pattern: str, dest: str | os.PathLike
) -> tuple[str, str, int]:
    """Copy the one regular file of a tar archive whose name matches ``pattern`` to ``dest``.

    Parameters
    ----------
    archive : path-like
        A tar archive, plain or compressed (gzip, bzip2, xz).
    pattern : str
        Shell-style pattern (:func:`fnmatch.fnmatchcase`: ``*`` also crosses ``/``) matched
        against the member names as stored, e.g. ``*/chip-seq/Nanog/counts.pos.bw``.
    dest : path-like
        Where the member's bytes go, written atomically.

    Returns
    -------
    name : str
        The member's name in the archive.
    md5 : str
        MD5 of the bytes written.
    size : int
        Their size.

    Raises
    ------
    ValueError
        Naming the archive and the pattern, if no regular file or more than one matches
        (listing some member names, or the matches); or naming the archive, if it cannot be
        read. ``dest`` is then untouched.
    FileNotFoundError
        If the archive does not exist.
    OSError
        If ``dest`` cannot be written (not reported as an unreadable archive).

    Notes
    -----
    The whole archive is read once, so that an ambiguous pattern is caught even after its
    first match; the member is written while the archive streams past.
    """
    archive = Path(archive)
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, EOFError, OSError) as error:
        if isinstance(error, FileNotFoundError) and not archive.exists():
            raise FileNotFoundError(f"{archive}: archive not found") from None
        raise _unreadable(archive, error) from error
    matches: list[str] = []
    seen: list[str] = []
    # Only reading the archive is guarded: an error writing ``dest`` propagates as it is.
    with tar, atomic_path(dest) as tmp:
        digest, size = hashlib.md5(), 0
        for member in _members(tar, archive):
            if not member.isfile():
                continue
            seen.append(member.name)
            if not fnmatch.fnmatchcase(member.name, pattern):
                continue
            matches.append(member.name)
            if len(matches) > 1:
                continue
            with _reading(archive):
                source = tar.extractfile(member)
            with source, tmp.open("wb") as out:
                while True:
                    with _reading(archive):
                        block = source.read(1 << 20)
                    if not block:
                        break
                    digest.update(block)
                    out.write(block)
                    size += len(block)
        # Raised inside the block, so that the temporary file is removed.
        if not matches:
            shown = ", ".join(seen[:20]) + (", ..." if len(seen) > 20 else "")
            raise ValueError(
                f"{archive}: no file matches {pattern!r}; its {len(seen)} files include "
                f"{shown or 'nothing'}"
            )
        if len(matches) > 1:
            raise ValueError(
                f"{archive}: {len(matches)} files match {pattern!r} ({', '.join(matches)}); "
                "the pattern must name exactly one"
            )
    return matches[0], digest.hexdigest(), size


def _unreadable(archive: Path, error: Exception) -> ValueError:
    return ValueError(f"{archive}: not a readable tar archive ({error})")


@contextlib.contextmanager
def _reading(archive: Path) -> Iterator[None]:
    """Turn an error reading ``archive`` (truncated, corrupt) into a ValueError naming it."""
    try:
        yield
    except (tarfile.TarError, EOFError, OSError) as error:
        raise _unreadable(archive, error) from error


def _members(tar: tarfile.TarFile, archive: Path) -> Iterator[tarfile.TarInfo]:
    """The members of ``tar`` as they are read, with :func:`_reading`'s errors."""
    iterator = iter(tar)
    while True:
        with _reading(archive):
            member = next(iterator, None)
        if member is None:
            return
        yield member
