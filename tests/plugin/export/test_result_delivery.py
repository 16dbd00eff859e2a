"""A recorded result becomes the delivery its exports send, from its result-file rows."""

from pathlib import Path

import pytest

from db import results
from db.models import JobState, Result
from db.session import Database
from plugin.export.delivery import UndeliverableError, delivery_of
from tests.db.factories import add_case, add_job, add_slide, result_values


def test_the_delivery_carries_the_files_and_the_result(database: Database, tmp_path: Path) -> None:
    values = result_values(0.9, folder=tmp_path)
    for file in values.files:
        file.path.write_bytes(b"written")
    with database.session() as session, session.begin():
        case = add_case(session, accession="ACC-7")
        job = add_job(session, add_slide(session, case), JobState.RUNNING)
        result_id = results.add_result(session, job, values, []).id
    with database.session() as session:
        delivery = delivery_of(session.get_one(Result, result_id))
        case_uid = session.get_one(Result, result_id).job.slide.case.study_instance_uid
    assert delivery.files == tuple(values.files)
    assert (delivery.accession_number, delivery.study_instance_uid) == ("ACC-7", case_uid)
    assert (delivery.score, delivery.suspicious) == (0.9, True)
    assert delivery.sr_sop_instance_uid == values.sr_sop_instance_uid


def test_a_result_whose_files_are_gone_is_undeliverable(database: Database) -> None:
    with database.session() as session, session.begin():
        job = add_job(session, add_slide(session, add_case(session)), JobState.RUNNING)
        result_id = results.add_result(session, job, result_values(0.2), []).id
    with database.session() as session:
        result = session.get_one(Result, result_id)
        with pytest.raises(UndeliverableError, match=r"result files are missing: \['seg.dcm'"):
            delivery_of(result)
