"""The fake identity: deterministic, shared per case, distinct per slide, clearly synthetic."""

import pytest

from dicom.uids import is_valid_uid
from dicom.wsi import SlideWriteError, synthetic_identity


def test_the_same_seed_and_case_give_the_same_identity() -> None:
    assert synthetic_identity(5, "C7") == synthetic_identity(5, "C7")


def test_slides_of_one_case_share_the_study_but_not_the_series() -> None:
    first, second = synthetic_identity(1, "C7"), synthetic_identity(2, "C7")
    assert first.study_uid == second.study_uid
    assert first.accession_number == second.accession_number
    assert first.patient_id == second.patient_id
    assert first.study_datetime == second.study_datetime
    assert first.series_uid != second.series_uid
    assert first.container_id != second.container_id
    assert first.specimen_uid != second.specimen_uid
    assert first.instance_uid("level-0") != second.instance_uid("level-0")


def test_without_a_case_each_seed_is_its_own_study() -> None:
    assert synthetic_identity(1).study_uid != synthetic_identity(2).study_uid
    assert synthetic_identity(1).case == "0001"


def test_the_kind_separates_series_but_not_studies() -> None:
    benign, malignant = synthetic_identity(1, "C7", "benign"), synthetic_identity(1, "C7", "x")
    assert benign.study_uid == malignant.study_uid
    assert benign.series_uid != malignant.series_uid
    assert "benign" in benign.series_description


def test_every_value_says_it_is_synthetic() -> None:
    identity = synthetic_identity(42, "AB-12")
    assert identity.patient_name == "SYNTHETIC^CASE AB-12"
    for value in (identity.patient_id, identity.accession_number, identity.container_id):
        assert value.startswith("SYN-")
    assert identity.specimen_id.startswith("SYN-")
    assert identity.patient_birth_date == ""
    assert len(identity.accession_number) <= 16 and len(identity.study_id) <= 16
    uids = [identity.study_uid, identity.series_uid, identity.frame_of_reference_uid]
    uids += [identity.pyramid_uid, identity.specimen_uid, identity.instance_uid("label")]
    assert all(is_valid_uid(uid) for uid in uids)
    assert len(set(uids)) == len(uids)
    assert identity.acquisition_datetime > identity.study_datetime


@pytest.mark.parametrize("case", ["", "has space", "x" * 13, "-lead", "a^b", "ü"])
def test_cases_that_do_not_fit_dicom_identifiers_are_refused(case: str) -> None:
    with pytest.raises(SlideWriteError, match="case must be"):
        synthetic_identity(1, case)


@pytest.mark.parametrize("kind", ["x" * 25, "a\\b", "tab\t"])
def test_kinds_that_do_not_fit_a_description_are_refused(kind: str) -> None:
    with pytest.raises(SlideWriteError, match="kind must be"):
        synthetic_identity(1, "C", kind)


def test_negative_seeds_are_refused() -> None:
    with pytest.raises(SlideWriteError, match="seed"):
        synthetic_identity(-1)
