"""The coded concepts PathSentry's segmentation and report use, in one place."""

from highdicom.sr import CodedConcept
from pydicom.dataset import Dataset
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
AREA = CodedConcept.from_code(codes.SCT.Area)
SQUARE_MILLIMETER = CodedConcept.from_code(codes.UCUM.SquareMillimeter)
# PathSentry's own codes (a private coding scheme, PS3.16 8.2): what no standard code says.
LOCAL_SCHEME = "99PATHSENTRY"
PEAK_PROBABILITY_OF_CANCER = CodedConcept("PEAKPROB", LOCAL_SCHEME, "Peak probability of cancer")
MEAN_PROBABILITY_OF_CANCER = CodedConcept("MEANPROB", LOCAL_SCHEME, "Mean probability of cancer")


def top_k_mean(k: int) -> CodedConcept:
    """The slide score's measurement method: the mean of the k highest pixel probabilities."""
    return CodedConcept(
        f"TOPKMEAN{k}", LOCAL_SCHEME, f"Mean of the {k} highest pixel probabilities"
    )


def local_coding_scheme() -> Dataset:
    """The Coding Scheme Identification item that names PathSentry's own scheme."""
    item = Dataset()
    item.CodingSchemeDesignator = LOCAL_SCHEME
    item.CodingSchemeName = "PathSentry local codes"
    item.CodingSchemeResponsibleOrganization = "PathSentry"
    return item


# What the report of a slide the AI could not judge says instead of malignant or benign.
NOT_EVALUABLE = CodedConcept("NOTEVAL", LOCAL_SCHEME, "Not evaluable by the AI")
FAILED = CodedConcept.from_code(codes.DCM.Failed)
COMMENT = CodedConcept.from_code(codes.DCM.Comment)
# The quality gate's outcome on a scored slide, in words (DCM 111101 "Image Quality").
IMAGE_QUALITY = CodedConcept.from_code(codes.DCM.ImageQuality)
