"""The source header as the writers copy it: Type 2 patient and study attributes that a
converter or scanner left out are present but empty, as the standard allows."""

import logging

from pydicom.dataset import Dataset

log = logging.getLogger(__name__)

# The Type 2 attributes (Patient and General Study modules) highdicom copies from a source
# image into every SEG, SR and ANN; it reads each as present.
COPIED_TYPE_2 = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
)


def with_empty_type_2(level: Dataset) -> Dataset:
    """`level` itself when it has every copied Type 2 attribute, else a copy with the missing
    ones empty (the source is never changed)."""
    missing = [name for name in COPIED_TYPE_2 if name not in level]
    if not missing:
        return level
    log.info("the source lacks %s; the results carry them empty", ", ".join(missing))
    completed = Dataset(dict(level))
    for name in missing:
        setattr(completed, name, None)
    return completed
