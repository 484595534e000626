"""DNA sequences as arrays: the alphabet, base codes, one-hot matrices, reverse complements.

Bases are A, C, G, T in that order everywhere: one-hot arrays are ``(..., 4, L)`` (bases on
the second-to-last axis, positions last) and base codes ``(..., L)`` ``uint8`` with A=0, C=1,
G=2, T=3 and :data:`N_CODE` (4) for anything else. With this order, reversing the base axis
is the complement.
"""

from __future__ import annotations

import numpy as np

#: The bases, in the order of the one-hot rows and of the codes.
ALPHABET = "ACGT"
#: Code of any letter other than A, C, G, T (upper or lower case).
N_CODE = 4


def _code_table() -> np.ndarray:
    """256-entry lookup from ASCII byte to code; read-only."""
    table = np.full(256, N_CODE, dtype=np.uint8)
    for code, base in enumerate(ALPHABET):
        table[ord(base)] = code
        table[ord(base.lower())] = code
    table.setflags(write=False)
    return table


_CODE_TABLE = _code_table()


def encode_codes(sequence: str | bytes) -> np.ndarray:
    """Encode DNA letters as codes A=0, C=1, G=2, T=3, other=4 (case-insensitive).

    Parameters
    ----------
    sequence : str or bytes
        Letters; non-ASCII characters count as "other".

    Returns
    -------
    numpy.ndarray, shape (L,), uint8
    """
    if isinstance(sequence, str):
        sequence = sequence.encode("ascii", errors="replace")
    if not isinstance(sequence, bytes | bytearray):
        raise ValueError(f"sequence: expected str or bytes, got {type(sequence).__name__}")
    return _CODE_TABLE[np.frombuffer(sequence, dtype=np.uint8)]


def codes_to_one_hot(codes: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """One-hot encode base codes.

    Parameters
    ----------
    codes : numpy.ndarray, shape (..., L)
        Codes 0-3 for A, C, G, T; 4 (N) gives an all-zero column.
    dtype : numpy dtype
        Output dtype, e.g. float32 or int8.

    Returns
    -------
    numpy.ndarray, shape (..., 4, L)
        Bases A, C, G, T on the second-to-last axis.
    """
    codes = np.asarray(codes)
    bases = np.arange(len(ALPHABET), dtype=codes.dtype).reshape(len(ALPHABET), 1)
    return (codes[..., None, :] == bases).astype(dtype)


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement base codes along the last axis (A<->T, C<->G, N stays N).

    Parameters
    ----------
    codes : numpy.ndarray, shape (..., L), uint8

    Returns
    -------
    numpy.ndarray, shape (..., L), uint8
        A new array.
    """
    codes = np.asarray(codes, dtype=np.uint8)[..., ::-1]
    return np.where(codes < N_CODE, 3 - codes, codes).astype(np.uint8)


def reverse_complement(x: np.ndarray) -> np.ndarray:
    """Reverse complement one-hot sequences or probability matrices.

    Parameters
    ----------
    x : numpy.ndarray, shape (4, L) or (N, 4, L)
        Bases A, C, G, T on the second-to-last axis, positions on the last axis.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype: bases swapped A<->T, C<->G and positions reversed. A new array.
    """
    x = np.asarray(x)
    if x.ndim not in (2, 3) or x.shape[-2] != len(ALPHABET):
        raise ValueError(f"x: expected shape (4, L) or (N, 4, L), got {x.shape}")
    # With rows in A, C, G, T order, reversing the base axis is the complement.
    return x[..., ::-1, ::-1].copy()


def one_hot_encode(sequence: str) -> np.ndarray:
    """One-hot encode a DNA sequence.

    Parameters
    ----------
    sequence : str
        DNA letters; lower case counts as upper case (soft-masked genomes). ``N`` and any other
        character give an all-zero column.

    Returns
    -------
    numpy.ndarray, shape (4, L), int8
        Rows A, C, G, T; one column per character.
    """
    if not isinstance(sequence, str):
        raise ValueError(f"sequence: expected str, got {type(sequence).__name__}")
    return codes_to_one_hot(encode_codes(sequence), np.int8)


def one_hot_decode(x: np.ndarray) -> str:
    """Decode a one-hot matrix into a DNA string.

    Parameters
    ----------
    x : numpy.ndarray, shape (4, L)
        One-hot columns (rows A, C, G, T); an all-zero column decodes to ``N``.

    Returns
    -------
    str
        Sequence of length L.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] != len(ALPHABET):
        raise ValueError(f"x: expected shape (4, L), got {x.shape}")
    column_sums = x.sum(axis=0)
    if not (np.isin(x, (0, 1)).all() and np.isin(column_sums, (0, 1)).all()):
        raise ValueError("x: every column must be one-hot or all zero")
    letters = np.array(list(ALPHABET + "N"))
    index = np.where(column_sums == 1, x.argmax(axis=0), len(ALPHABET))
    return "".join(letters[index])
