"""One registry maps destination kinds to senders; a delivery carries the result with its files."""

import typing

import pytest
from pydicom import dcmread

from config.settings import DicomwebDestination, DimseDestination, FolderDestination
from dicom.export import SENDERS, ExportSetupError, make_sender
from tests.dicom.results.writing import WrittenResult


def test_every_destination_kind_of_the_settings_has_a_sender() -> None:
    models = (DimseDestination, DicomwebDestination, FolderDestination)
    kinds = {typing.get_args(model.model_fields["kind"].annotation)[0] for model in models}
    assert kinds == set(SENDERS)


def test_a_kind_without_a_sender_is_a_clear_error() -> None:
    # A destination of a kind no sender knows: only an unvalidated model can carry one.
    destination = FolderDestination.model_construct(kind="hl7", name="lis")  # type: ignore[call-arg, arg-type]
    with pytest.raises(ExportSetupError, match="kind 'hl7', for which no sender is registered"):
        make_sender(destination)


def test_a_delivery_names_its_report_and_what_the_result_says(result: WrittenResult) -> None:
    delivery = result.delivery
    assert delivery.report == result.report
    assert delivery.sr_sop_instance_uid == dcmread(result.sr_path).SOPInstanceUID
    assert delivery.study_instance_uid == dcmread(result.sr_path).StudyInstanceUID
    assert delivery.score == result.findings.score
    assert result.delivery_of(result.segmentations).sr_sop_instance_uid is None
