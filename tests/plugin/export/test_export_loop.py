"""Export from the persisted queue: delivered, retried with back-off, failed visibly, and
one destination that hangs never holds up another."""

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import UID

from config import ExportSettings, JobSettings, Settings, StorageSettings
from config.settings import DimseDestination, FolderDestination
from db import results
from db.models import Export, ExportState, JobState, ResultFileKind
from db.session import Database, connect
from dicom.export import enable_streamed_c_store
from plugin.export.loop import ExportService
from plugin.metrics import ServiceMetrics
from tests.db.factories import add_case, add_job, add_slide, result_values, uid
from tests.plugin.conftest import Analysed


def settings(tmp_path: Path, *destinations: object, max_attempts: int = 3) -> Settings:
    export = ExportSettings(
        destinations=list(destinations),
        max_attempts=max_attempts,
        initial_backoff_s=60,
        max_backoff_s=600,
    )
    return Settings(
        storage=StorageSettings(data_dir=tmp_path),
        export=export,
        jobs=JobSettings(poll_interval_s=0.05),
    )


def add_result(database: Database, analysed: Analysed, *destinations: str) -> dict[str, int]:
    """A recorded result of the analysed slide, pending export to `destinations`."""
    values = analysed[0]
    with database.session() as session, session.begin():
        slide = add_slide(session, add_case(session))
        job = add_job(session, slide, JobState.RUNNING)
        result = results.add_result(session, job, values, destinations)
        return {export.destination: export.id for export in result.exports}


def export_row(database: Database, export_id: int) -> Export:
    with database.session() as session:
        export = session.get(Export, export_id)
        assert export is not None
        session.expunge(export)
        return export


def make_due(database: Database, *export_ids: int) -> None:
    """Skip the back-off: the exports are due now."""
    with database.session() as session, session.begin():
        for export_id in export_ids:
            row = session.get(Export, export_id)
            assert row is not None
            row.next_attempt_at = row.created_at


def wait_for(condition: object, what: str, seconds: float = 20) -> None:
    done = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if condition():  # type: ignore[operator]
            return
        done.wait(0.05)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture(autouse=True)
def streamed_c_store() -> None:
    """What the service does at start-up: C-STORE streams files from disk."""
    enable_streamed_c_store()


@pytest.fixture
def silent_peer() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (a hung PACS)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_folder_destination_receives_every_file(
    database: Database, analysed: Analysed, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    ids = add_result(database, analysed, "share")
    service = ExportService(
        database, settings(tmp_path, FolderDestination(kind="folder", name="share", path=share))
    )
    assert service.exporters[0].run_once() == 1
    export = export_row(database, ids["share"])
    assert export.state is ExportState.DELIVERED and export.attempts == 1
    assert len(list(share.glob("*.dcm"))) == len(analysed[0].files)
    assert service.exporters[0].run_once() == 0


def test_a_hung_pacs_does_not_delay_the_folder(
    database: Database, analysed: Analysed, tmp_path: Path, silent_peer: int
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    pacs = DimseDestination(
        kind="dimse", name="pacs", ae_title="HUNG", host="127.0.0.1", port=silent_peer, timeout_s=8
    )
    folder = FolderDestination(kind="folder", name="share", path=share)
    ids = add_result(database, analysed, "pacs", "share")
    service = ExportService(database, settings(tmp_path, pacs, folder))
    service.start()
    try:
        wait_for(
            lambda: export_row(database, ids["share"]).state is ExportState.DELIVERED,
            "the folder export",
            seconds=6,
        )
        assert export_row(database, ids["pacs"]).attempts == 0  # still waiting on the PACS
        wait_for(lambda: export_row(database, ids["pacs"]).attempts == 1, "the PACS to time out")
    finally:
        service.stop(timeout=20)
    pacs_export = export_row(database, ids["pacs"])
    assert pacs_export.state is ExportState.PENDING
    assert pacs_export.last_error
    assert pacs_export.next_attempt_at is not None


def test_unreachable_destination_is_retried_and_never_given_up(
    database: Database, analysed: Analysed, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    pacs = DimseDestination(
        kind="dimse", name="pacs", ae_title="GONE", host="127.0.0.1", port=closed_port, timeout_s=5
    )
    ids = add_result(database, analysed, "pacs")
    exporter = ExportService(database, settings(tmp_path, pacs, max_attempts=2)).exporters[0]
    assert exporter.run_once() == 1
    first = export_row(database, ids["pacs"])
    assert first.state is ExportState.PENDING and first.attempts == 1
    assert exporter.run_once() == 0  # backing off: not due yet
    make_due(database, ids["pacs"])
    assert exporter.run_once() == 1
    overdue = export_row(database, ids["pacs"])
    assert (overdue.state, overdue.attempts) == (ExportState.PENDING, 2)  # never given up
    assert overdue.overdue_since is not None


def test_overdue_exports_raise_an_alert_and_go_out_when_the_destination_answers(
    database: Database, analysed: Analysed, tmp_path: Path
) -> None:
    share = tmp_path / "unmounted-share"
    first = add_result(database, analysed, "share")["share"]
    second = add_result(database, analysed, "share")["share"]
    folder = FolderDestination(kind="folder", name="share", path=share)
    exporter = ExportService(database, settings(tmp_path, folder, max_attempts=2)).exporters[0]
    metrics = ServiceMetrics()
    metrics.watch(database, None)
    for _ in range(2):
        make_due(database, first, second)
        assert exporter.run_once() == 2
    assert [export_row(database, i).state for i in (first, second)] == [ExportState.PENDING] * 2
    alert = {"destination": "share"}
    assert metrics.registry.get_sample_value("pathsentry_exports_overdue", alert) == 2
    share.mkdir()  # the share is back
    make_due(database, first)
    assert exporter.run_once() == 2  # the other waiting export is due again at once
    assert [export_row(database, i).state for i in (first, second)] == [ExportState.DELIVERED] * 2
    assert metrics.registry.get_sample_value("pathsentry_exports_overdue", alert) is None


def test_two_exporters_on_one_database_deliver_each_export_once(
    database: Database, database_url: str, analysed: Analysed, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    ids = [add_result(database, analysed, "share")["share"] for _ in range(12)]
    for number, export_id in enumerate(ids):  # each result its own instance, as in real life
        sr = dcmread(analysed[0].sr_path)
        sr.SOPInstanceUID = sr.file_meta.MediaStorageSOPInstanceUID = UID(uid(5))
        sr.save_as(tmp_path / f"sr-{number}.dcm", enforce_file_format=True)
        with database.session() as session, session.begin():
            result = session.get(Export, export_id).result  # type: ignore[union-attr]
            for row in list(result.files):
                if row.kind is ResultFileKind.REPORT:
                    row.path = str(tmp_path / f"sr-{number}.dcm")
                    row.sop_instance_uid = sr.SOPInstanceUID
                else:
                    result.files.remove(row)
    folder = FolderDestination(kind="folder", name="share", path=share)
    databases = [connect(database_url) for _ in range(2)]  # as two processes would have
    services = [ExportService(db, settings(tmp_path, folder)) for db in databases]
    try:
        for service in services:
            service.start(take_over_claimed=False)
        wait_for(
            lambda: all(export_row(database, i).state is ExportState.DELIVERED for i in ids),
            "every delivery",
        )
    finally:
        for service in services:
            service.stop(timeout=20)
        for db in databases:
            db.dispose()
    with database.session() as session:
        tries = [len(session.get(Export, i).attempt_log) for i in ids]  # type: ignore[union-attr]
    assert tries == [1] * len(ids)
    assert len(list(share.glob("*.dcm"))) == len(ids)


def test_missing_result_files_fail_at_once(database: Database, tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    with database.session() as session, session.begin():
        slide = add_slide(session, add_case(session))
        job = add_job(session, slide, JobState.RUNNING)
        values = result_values(0.9)
        result = results.add_result(session, job, values, ["share"])
        result.files[0].path = str(tmp_path / "gone.dcm")
        export_id = result.exports[0].id
    folder = FolderDestination(kind="folder", name="share", path=share)
    ExportService(database, settings(tmp_path, folder)).exporters[0].run_once()
    export = export_row(database, export_id)
    assert export.state is ExportState.FAILED and export.attempts == 1
    assert "gone.dcm" in (export.last_error or "")


def test_exports_to_a_removed_destination_fail_visibly(
    database: Database, analysed: Analysed, tmp_path: Path
) -> None:
    ids = add_result(database, analysed, "old-pacs")
    service = ExportService(database, settings(tmp_path))
    assert service.fail_unknown_destinations() == 1
    export = export_row(database, ids["old-pacs"])
    assert export.state is ExportState.FAILED
    assert "no longer configured" in (export.last_error or "")
