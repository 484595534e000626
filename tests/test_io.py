"""Atomic writes leave either the complete file or nothing; npz reads name the file."""

import hashlib
import io
import os
import stat
import tarfile

import numpy as np
import pandas as pd
import pytest

from attrprior.io import (
    atomic_directory,
    atomic_path,
    extract_tar_member,
    read_npz,
    remove_leftovers,
    write_text,
    write_tsv,
)


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


def test_atomic_directory_renames_on_success(tmp_path):
    target = tmp_path / "sub" / "files"
    umask = os.umask(0o022)
    try:
        with atomic_directory(target) as tmp:
            assert tmp.parent == target.parent and tmp.name.startswith(".files.")
            (tmp / "a.bam").write_text("a")
            assert not target.exists()  # nothing visible until the block ends
    finally:
        os.umask(umask)
    assert [p.name for p in target.iterdir()] == ["a.bam"]
    assert [p.name for p in target.parent.iterdir()] == ["files"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_atomic_directory_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "files"
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "a.bam").write_text("half")
            raise RuntimeError("crash mid-download")
    assert list(tmp_path.iterdir()) == []
    (target / "old").mkdir(parents=True)  # a non-empty directory is not replaced
    with pytest.raises(OSError), atomic_directory(target) as tmp:
        (tmp / "a.bam").write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["files"]
    assert [p.name for p in target.iterdir()] == ["old"]


def test_atomic_writes_remove_what_a_killed_writer_left(tmp_path):
    # What a job killed mid-write leaves: its atomic_path file or atomic_directory folder.
    target = tmp_path / "model.pt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        raise RuntimeError  # stands in for the kill; the file is then put back by hand
    left_file = tmp_path / tmp.name
    left_file.write_bytes(b"half")
    left_dir = tmp_path / ".model.pt.k3_x9q0z"
    (left_dir / "part").mkdir(parents=True)
    # Not ours: another target's leftover, a different suffix, a name tempfile never makes.
    others = [".other.pt.abcd1234.pt", ".model.pt.abcd1234.npz", ".model.pt.keep.pt"]
    for name in others:
        (tmp_path / name).write_text("x")
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"model")
    assert not left_file.exists() and left_dir.exists()  # a file writer leaves folders be
    with atomic_directory(tmp_path / "model.pt.d") as folder:
        (folder / "x").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*others, ".model.pt.k3_x9q0z", "model.pt", "model.pt.d"]
    )
    assert remove_leftovers(target, "") == [left_dir] and not left_dir.exists()
    assert target.read_bytes() == b"model"


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


def test_read_npz_names_the_file_and_what_it_should_be(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, x=np.arange(3))
    with read_npz(path, "thing") as stored:
        assert stored["x"].tolist() == [0, 1, 2]
    with pytest.raises(FileNotFoundError, match="thing file not found"):
        with read_npz(tmp_path / "missing.npz", "thing"):
            pass
    with pytest.raises(ValueError, match=r"a\.npz: not a valid thing file \(.*y is not a file"):
        with read_npz(path, "thing") as stored:
            stored["y"]
    (tmp_path / "b.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="b.npz: not a valid thing file"):
        with read_npz(tmp_path / "b.npz", "thing"):
            pass


def _tar(path, members, mode="w:gz"):
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        directory = tarfile.TarInfo("data/chip-seq/Nanog")
        directory.type = tarfile.DIRTYPE
        tar.addfile(directory)


MEMBERS = {
    "data/chip-seq/Nanog/counts.pos.bw": b"nanog plus",
    "data/chip-seq/Oct4/counts.pos.bw": b"oct4 plus strand",
}


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w"])
def test_extract_tar_member_takes_the_one_match(tmp_path, mode):
    _tar(tmp_path / "a.tar", MEMBERS, mode)
    name, md5, size = extract_tar_member(tmp_path / "a.tar", "*/Oct4/*.pos.bw", tmp_path / "o/x")
    data = MEMBERS["data/chip-seq/Oct4/counts.pos.bw"]
    assert (name, md5, size) == (
        "data/chip-seq/Oct4/counts.pos.bw",
        hashlib.md5(data).hexdigest(),
        len(data),
    )
    assert (tmp_path / "o/x").read_bytes() == data


def test_extract_tar_member_refuses_no_match_or_several_and_leaves_nothing(tmp_path):
    _tar(tmp_path / "a.tar.gz", MEMBERS)
    (tmp_path / "o").mkdir()
    with pytest.raises(ValueError, match=r"a.tar.gz: 2 files match '\*counts.pos.bw'.*Nanog.*Oct4"):
        extract_tar_member(tmp_path / "a.tar.gz", "*counts.pos.bw", tmp_path / "o/x")
    with pytest.raises(ValueError, match=r"no file matches '\*Sox2\*'; its 2 files include data/"):
        extract_tar_member(tmp_path / "a.tar.gz", "*Sox2*", tmp_path / "o/x")
    # A directory entry is not a file, even where the pattern matches it.
    with pytest.raises(ValueError, match="no file matches"):
        extract_tar_member(tmp_path / "a.tar.gz", "data/chip-seq/Nanog", tmp_path / "o/x")
    assert list((tmp_path / "o").iterdir()) == []


def test_extract_tar_member_names_an_unreadable_archive(tmp_path):
    (tmp_path / "bad.tar.gz").write_bytes(b"not a tar archive")
    with pytest.raises(ValueError, match="bad.tar.gz: not a readable tar archive"):
        extract_tar_member(tmp_path / "bad.tar.gz", "*", tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="missing.tar.gz: archive not found"):
        extract_tar_member(tmp_path / "missing.tar.gz", "*", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_extract_tar_member_does_not_blame_the_archive_for_the_destination(tmp_path):
    _tar(tmp_path / "a.tar.gz", MEMBERS)
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(OSError) as raised:  # the destination's directory cannot be made
        extract_tar_member(tmp_path / "a.tar.gz", "*Oct4*", tmp_path / "file" / "x")
    assert "not a readable tar archive" not in str(raised.value)
    (tmp_path / "o").mkdir()
    with pytest.raises(OSError) as raised:  # a directory is in the way, found at the rename
        extract_tar_member(tmp_path / "a.tar.gz", "*Oct4*", tmp_path / "o")
    assert "not a readable tar archive" not in str(raised.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz", "file", "o"]
    assert list((tmp_path / "o").iterdir()) == []


def test_log_to_file_writes_the_traceback_of_a_failure(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "import logging\n"
        "from attrprior.io import log_to_file\n"
        f"log_to_file({str(tmp_path / 'job.log')!r})\n"
        "logging.info('started')\n"
        "raise ValueError('config key x: bad value')\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "ValueError: config key x: bad value" in result.stderr  # still on the console
    log = (tmp_path / "job.log").read_text().splitlines()
    assert log[0].endswith(" started")
    assert log[1].endswith(" failed:") and log[2] == "Traceback (most recent call last):"
    assert log[-1] == "ValueError: config key x: bad value"


def test_load_npz_reads_every_array_and_names_a_broken_file(tmp_path):
    from attrprior.io import load_npz

    path = tmp_path / "inputs.npz"
    np.savez(path, x=np.arange(3), y=np.ones((2, 2)))
    arrays = load_npz(path, "attribution inputs")
    assert sorted(arrays) == ["x", "y"]
    np.testing.assert_array_equal(arrays["x"], [0, 1, 2])
    assert list(load_npz(path, "attribution inputs", keys=["y"])) == ["y"]
    with pytest.raises(ValueError, match=r"inputs\.npz: no \['z'\] in this attribution"):
        load_npz(path, "attribution inputs", keys=["z"])
    path.write_bytes(path.read_bytes()[:100])  # truncated
    with pytest.raises(ValueError, match=r"inputs\.npz: not a valid attribution inputs file"):
        load_npz(path, "attribution inputs")
    with pytest.raises(FileNotFoundError, match="attribution inputs file not found"):
        load_npz(tmp_path / "missing.npz", "attribution inputs")
