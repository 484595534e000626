"""Atomic writes leave either the complete file or nothing."""

import os
import stat

import pandas as pd
import pytest

from attrprior.io import atomic_path, write_text, write_tsv


def test_atomic_path_renames_on_success(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_text("done")
        assert not target.exists()  # nothing visible until the block ends
    assert target.read_text() == "done"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_an_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("new")
            raise RuntimeError
    assert target.read_text() == "old"


def test_write_tsv_and_text(tmp_path):
    write_tsv(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "t.tsv")
    assert (tmp_path / "t.tsv").read_text() == "a\tb\n1\tx\n2\ty\n"
    write_text("hello\n", tmp_path / "t.md")
    assert (tmp_path / "t.md").read_text() == "hello\n"


def test_atomic_output_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_text("x", tmp_path / "out.txt")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644
