"""Who made a result and from what: the algorithm, the result's deterministic UIDs, the
Contributing Equipment item (IHE AI Results) and the analysis time every output carries."""

import datetime
import re
from dataclasses import dataclass

import highdicom as hd
from pydicom.dataset import Dataset

from dicom.results.codes import ARTIFICIAL_INTELLIGENCE, PROCESSING_EQUIPMENT
from dicom.results.errors import ResultWriteError
from dicom.uids import derived_uid, is_valid_uid
from dicom.wsi.slide_modules import software_version

MANUFACTURER = "PathSentry"
SEG_SERIES_NUMBER = 9001
SR_SERIES_NUMBER = 9002
ANN_SERIES_NUMBER = 9003
BINARY_SEG_SERIES_NUMBER = 9004
# Long String (LO) values: at most 64 characters, no backslash.
_LONG_STRING = re.compile(r"^[^\\\x00-\x1f]{1,64}$")
_DIGEST = re.compile(r"^[0-9A-Za-z_.:-]{1,128}$")


@dataclass(frozen=True)
class Algorithm:
    """The model and settings that produced a result; with the slide they determine its UIDs.

    `weights_sha256` is a digest of the model weights and `settings_digest` one of every
    setting that changes the probability map (both as hex or similar plain text).
    """

    name: str
    version: str
    weights_sha256: str
    settings_digest: str
    top_k: int
    threshold: float
    manufacturer: str = MANUFACTURER

    def __post_init__(self) -> None:
        for field in ("name", "version", "manufacturer"):
            if not _LONG_STRING.match(getattr(self, field)):
                raise ResultWriteError(
                    f"algorithm {field} must be 1 to 64 characters without backslash or control "
                    f"characters; got {getattr(self, field)!r}"
                )
        for field in ("weights_sha256", "settings_digest"):
            if not _DIGEST.match(getattr(self, field)):
                raise ResultWriteError(
                    f"algorithm {field} must be 1 to 128 letters, digits or _.:-; "
                    f"got {getattr(self, field)!r}"
                )
        if self.top_k < 1:
            raise ResultWriteError(f"algorithm top_k must be at least 1; got {self.top_k}")
        if not 0 <= self.threshold <= 1:
            raise ResultWriteError(f"algorithm threshold must be 0 to 1; got {self.threshold}")

    @property
    def parameters(self) -> dict[str, str]:
        """What a reader needs to reproduce the result, as Algorithm Parameters."""
        return {
            "top_k": str(self.top_k),
            "threshold": f"{self.threshold:g}",
            "weights_sha256": self.weights_sha256,
            "settings_digest": self.settings_digest,
        }

    @property
    def short_weights_id(self) -> str:
        """The first 16 characters of the weights digest, as a device serial number."""
        return self.weights_sha256[:16]


@dataclass(frozen=True)
class ResultIdentity:
    """The UIDs of everything written for one slide (series) content by one algorithm.

    Each UID derives from the source series UID, the content key (a digest of the slide's
    analysed instances: new content gets new objects) and the algorithm's weights and settings
    only, so writing the same content again with the same model gives the same UIDs and the
    PACS never holds two copies.
    """

    source_series_uid: str
    algorithm: Algorithm
    content_key: str = ""

    def __post_init__(self) -> None:
        if not is_valid_uid(self.source_series_uid):
            raise ResultWriteError(
                f"source_series_uid must be a valid UID; got {self.source_series_uid!r}"
            )

    def uid(self, *names: str | int) -> str:
        """A UID for one named part of the result (for example "seg", "instance", 4)."""
        return derived_uid(
            self.source_series_uid,
            "pathsentry-result",
            self.content_key,
            self.algorithm.weights_sha256,
            self.algorithm.settings_digest,
            *names,
        )

    @property
    def sr_series_uid(self) -> str:
        return self.uid("sr", "series")

    @property
    def sr_instance_uid(self) -> str:
        # The report also depends on k and the threshold: a new threshold is a new report.
        return self.uid("sr", "instance", self.algorithm.top_k, f"{self.algorithm.threshold!r}")

    @property
    def ann_instance_uid(self) -> str:
        # The foci are cut at the threshold: a new threshold is a new annotation object.
        return self.uid("ann", "instance", f"{self.algorithm.threshold!r}")

    @property
    def device_uid(self) -> str:
        """The algorithm as a device (observer): the same for every slide it analyses."""
        return derived_uid(
            "pathsentry-algorithm",
            self.algorithm.name,
            self.algorithm.version,
            self.algorithm.weights_sha256,
        )


def contributing_equipment(
    algorithm: Algorithm, analysis_time: datetime.datetime
) -> hd.ContributingEquipment:
    """The AI model as processing equipment, as IHE AI Results asks of every output."""
    return hd.ContributingEquipment(
        manufacturer=algorithm.manufacturer,
        purpose_of_reference=PROCESSING_EQUIPMENT,
        manufacturer_model_name=algorithm.name,
        software_versions=[algorithm.version, f"PathSentry {software_version()}"],
        device_serial_number=algorithm.short_weights_id,
        contribution_datetime=analysis_time,
        contribution_description=(
            f"AI model {algorithm.name} {algorithm.version} computed the probability of "
            f"malignancy (weights sha256 {algorithm.weights_sha256}, settings "
            f"{algorithm.settings_digest})"
        ),
    )


def algorithm_identification(algorithm: Algorithm) -> hd.AlgorithmIdentificationSequence:
    """The Segmentation Algorithm Identification of the probability segment."""
    return hd.AlgorithmIdentificationSequence(
        name=algorithm.name,
        family=ARTIFICIAL_INTELLIGENCE,
        version=algorithm.version,
        source=algorithm.manufacturer,
        parameters=algorithm.parameters,
    )


def stamp_analysis_time(dataset: Dataset, when: datetime.datetime) -> None:
    """Replaces the clock readings highdicom stamps (instance creation, its own contribution)
    with the analysis time, so that the same inputs give the same bytes."""
    dataset.InstanceCreationDate = when.strftime("%Y%m%d")
    dataset.InstanceCreationTime = when.strftime("%H%M%S.%f")
    for item in dataset.get("ContributingEquipmentSequence", []):
        purpose = item.PurposeOfReferenceCodeSequence[0].CodeValue
        if purpose == PROCESSING_EQUIPMENT.value:
            item.ContributionDateTime = when.strftime("%Y%m%d%H%M%S.%f")
