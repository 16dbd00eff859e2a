"""The folder sender: complete files only, named by SOP Instance UID, clear failures."""

import os
import shutil
from pathlib import Path
from typing import BinaryIO

import pytest
from pydicom import dcmread

from config.settings import FolderDestination
from dicom.export import FolderSender, Verdict, send_result
from tests.dicom.results.writing import WrittenResult


def destination(path: Path) -> FolderDestination:
    return FolderDestination(kind="folder", name="share", path=path)


def test_files_arrive_whole_under_their_uid(tmp_path: Path, result: WrittenResult) -> None:
    outcome = send_result(destination(tmp_path), result.delivery)
    assert outcome.delivered
    for path in result.paths:
        uid = dcmread(path, stop_before_pixels=True).SOPInstanceUID
        assert (tmp_path / f"{uid}.dcm").read_bytes() == path.read_bytes()
    assert sorted(outcome.confirmed) == sorted(p.stem for p in tmp_path.iterdir())


def test_a_file_is_invisible_under_its_name_until_complete(
    tmp_path: Path, result: WrittenResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[list[str], str]] = []
    real_copy = shutil.copyfileobj

    def watching_copy(source: BinaryIO, target: BinaryIO, length: int = 0) -> None:
        real_copy(source, target, length)
        # Every byte is written, not yet renamed: only the hidden partial name exists.
        seen.append((sorted(os.listdir(tmp_path)), Path(target.name).name))

    monkeypatch.setattr(shutil, "copyfileobj", watching_copy)
    assert FolderSender(destination(tmp_path)).send(result.delivery_of(result.files[:1])).delivered
    ((names, partial),) = seen
    assert names == [partial] and partial.startswith(".") and partial.endswith(".partial")
    assert [path.name for path in tmp_path.iterdir()] == [partial[1 : -len(".partial")]]


def test_an_interrupted_copy_leaves_nothing(
    tmp_path: Path, result: WrittenResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_midway(source: BinaryIO, target: BinaryIO, length: int = 0) -> None:
        target.write(source.read(100))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", fail_midway)
    outcome = FolderSender(destination(tmp_path)).send(result.delivery)
    assert outcome.verdict is Verdict.RETRY and "No space left" in outcome.reason
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_retried_and_never_created(
    tmp_path: Path, result: WrittenResult
) -> None:
    absent = tmp_path / "not-mounted"
    outcome = FolderSender(destination(absent)).send(result.delivery)
    assert outcome.verdict is Verdict.RETRY and "mounted" in outcome.reason
    assert not absent.exists()


def test_a_permission_problem_is_permanent(
    tmp_path: Path, result: WrittenResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: BinaryIO, target: BinaryIO, length: int = 0) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(shutil, "copyfileobj", refuse)
    outcome = FolderSender(destination(tmp_path)).send(result.delivery)
    assert outcome.verdict is Verdict.PERMANENT and "Permission denied" in outcome.reason
    assert list(tmp_path.iterdir()) == []
