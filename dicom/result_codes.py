"""The coded concepts PathSentry's segmentation and report use, in one place."""

from highdicom.sr import CodedConcept
from pydicom.sr.codedict import codes

MORPHOLOGICALLY_ABNORMAL_STRUCTURE = CodedConcept.from_code(
    codes.SCT.MorphologicallyAbnormalStructure
)
MALIGNANT_NEOPLASM = CodedConcept("86049000", "SCT", "Malignant neoplasm, primary")
PROBABILITY_OF_CANCER = CodedConcept.from_code(codes.DCM.ProbabilityOfCancer)
NO_UNITS = CodedConcept("1", "UCUM", "no units")
FINDING = CodedConcept.from_code(codes.DCM.Finding)
# CID 6063: the slide is called malignant or benign at the configured threshold.
MALIGNANT = CodedConcept.from_code(codes.SCT.Malignant)
BENIGN = CodedConcept.from_code(codes.SCT.Benign)
MEAN = CodedConcept.from_code(codes.SCT.Mean)
MAXIMUM = CodedConcept.from_code(codes.SCT.Maximum)
ARTIFICIAL_INTELLIGENCE = CodedConcept.from_code(codes.DCM.ArtificialIntelligence)
WHOLE_SLIDE_IMAGING = CodedConcept.from_code(codes.DCM.WholeSlideImaging)
DEVICE = CodedConcept.from_code(codes.DCM.Device)
PROCESSING_EQUIPMENT = CodedConcept.from_code(codes.DCM.ProcessingEquipment)
