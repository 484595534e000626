"""Atomic file output: write to a temporary file beside the target, then rename.

A job that fails half-way leaves no file that looks complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


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

    On an exception the temporary file is removed and the exception re-raised.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=suffix if suffix is not None else path.suffix,
    )
    os.close(handle)
    # mkstemp creates the file 0600; give it the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_tsv(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a DataFrame as a tab-separated file without its index, atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False)


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
