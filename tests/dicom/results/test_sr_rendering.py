"""The report as a reader meets it in dcmtk's dsr2html: named values, rounded probabilities, the
derivation in words, the algorithm's parameters once."""

import html
import re
import subprocess
from pathlib import Path

import pytest

from dicom.results.sr import SlideFindings, write_report
from tests.dicom.results.writing import ANALYSIS_TIME, LesionResult, SourceSlide, WrittenResult

DSR2HTML = Path("/usr/bin/dsr2html")


def rendered_text(path: Path) -> str:
    """dsr2html's page as plain text, one line per block."""
    if not DSR2HTML.exists():
        pytest.fail("dsr2html is missing: install dcmtk (apt-get install dcmtk)")
    page = subprocess.run(
        [str(DSR2HTML), str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    text = re.sub(r"<br>|</p>|</h\d>|</li>|</tr>|</div>|</td>", "\n", page)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


@pytest.fixture(scope="module")
def certain_report(
    tmp_path_factory: pytest.TempPathFactory,
    source: SourceSlide,
    result: WrittenResult,
    lesions: LesionResult,
) -> str:
    """The three-lesion report again, with the score of the issue's example."""
    folder = tmp_path_factory.mktemp("certain")
    findings = SlideFindings(0.99999803125858, lesions.findings.foci)
    path = write_report(
        folder, source.map_level, result.segmentations, findings, result.identity, ANALYSIS_TIME
    ).path
    return rendered_text(path)


def test_values_are_named_and_rounded(certain_report: str) -> None:
    assert "Probability of cancer:\n1.000 1" in certain_report
    assert "0.99999803125858" not in certain_report
    assert "Pathology:\nMalignant" in certain_report


def test_the_derivation_is_said_in_words(certain_report: str) -> None:
    assert "Measurement Method = Mean of the 1000 highest pixel probabilities" in certain_report


def test_the_series_shows_the_triage(certain_report: str) -> None:
    assert "AI: suspicious, p=1.00 (unverified)" in certain_report


def test_the_device_observer_names_the_model(certain_report: str) -> None:
    assert 'Device Observer Model Name = "PathSentry DeepLab v3 R50"' in certain_report
    assert 'Algorithm Version = "1.2.3"' in certain_report


def test_parameters_appear_once_and_every_focus_reads_as_a_focus(
    certain_report: str, lesions: LesionResult
) -> None:
    assert certain_report.count("top_k=1000") == 1
    for rank in range(1, len(lesions.findings.foci) + 1):
        assert f'Tracking Identifier = "Focus {rank}"' in certain_report
    assert certain_report.count("Area:\n") == 3
    peaks = re.findall(
        r"Probability of cancer:\n(\S+) 1\nConcept Modifier: Derivation = Maximum", certain_report
    )
    assert peaks == ["0.970"] * 3


def test_the_lesion_report_renders_its_own_score(lesions: LesionResult) -> None:
    text = rendered_text(lesions.sr_path)
    assert f"Probability of cancer:\n{lesions.findings.score:.3f} 1" in text


def test_the_quality_gate_outcome_reads_as_a_sentence(
    tmp_path: Path, source: SourceSlide, result: WrittenResult
) -> None:
    findings = SlideFindings(0.2, quality="12% of the tissue out of focus, not analysed")
    path = write_report(
        tmp_path, source.map_level, result.segmentations, findings, result.identity, ANALYSIS_TIME
    ).path
    text = rendered_text(path)
    assert "Image Quality:\n12% of the tissue out of focus, not analysed" in text
