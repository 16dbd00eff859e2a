"""The one atomic-write helper: a file appears complete or not at all."""

from pathlib import Path

import pytest

from config.atomic_file import atomic_write, partial_path


def test_the_file_appears_only_when_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    with atomic_write(path) as target:
        target.write(b"abc")
        assert not path.exists() and partial_path(path).exists()
    assert path.read_bytes() == b"abc" and not partial_path(path).exists()


def test_a_failure_leaves_the_old_file_and_no_partial_one(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(path) as target:
        target.write(b"new")
        raise RuntimeError("disk gone")
    assert path.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [path]
