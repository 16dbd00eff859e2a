"""The coded concepts PathSentry's segmentation and report use, in one place."""

from highdicom.sr import CodedConcept
from pydicom.sr.codedict import codes

MORPHOLOGICALLY_ABNORMAL_STRUCTURE = CodedConcept.from_code(
    codes.SCT.MorphologicallyAbnormalStructure
)
MALIGNANT_NEOPLASM = CodedConcept("86049000", "SCT", "Malignant neoplasm, primary")
PROBABILITY_OF_CANCER = CodedConcept.from_code(codes.DCM.ProbabilityOfCancer)
NO_UNITS = CodedConcept("1", "UCUM", "no units")
# "Pathology" = malignant or benign (CID 6063) at the configured threshold. Not "Finding":
# TID 1501 already names the finding type so, and readers would take one for the other.
PATHOLOGY = CodedConcept.from_code(codes.DCM.Pathology)
MALIGNANT = CodedConcept.from_code(codes.SCT.Malignant)
BENIGN = CodedConcept.from_code(codes.SCT.Benign)
MEAN = CodedConcept.from_code(codes.SCT.Mean)
MAXIMUM = CodedConcept.from_code(codes.SCT.Maximum)
ARTIFICIAL_INTELLIGENCE = CodedConcept.from_code(codes.DCM.ArtificialIntelligence)
WHOLE_SLIDE_IMAGING = CodedConcept.from_code(codes.DCM.WholeSlideImaging)
DEVICE = CodedConcept.from_code(codes.DCM.Device)
PROCESSING_EQUIPMENT = CodedConcept.from_code(codes.DCM.ProcessingEquipment)
