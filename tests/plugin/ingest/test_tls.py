"""DICOM over TLS: a server certificate, and client certificates when the settings ask."""

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.settings import TlsSettings
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.conftest import require
from tests.plugin.ingest.conftest import StartIngest, wait_for
from tests.plugin.ingest.senders import HOST, send


@dataclass(frozen=True)
class Certificates:
    """A test CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it."""

    ca: Path
    server: tuple[Path, Path]
    client: tuple[Path, Path]


def _openssl(*arguments: str, cwd: Path) -> None:
    subprocess.run(["openssl", *arguments], cwd=cwd, check=True, capture_output=True, timeout=60)


def _signed(folder: Path, name: str, subject: str, extensions: str) -> tuple[Path, Path]:
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-new", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", subject, cwd=folder)  # fmt: skip
    (folder / f"{name}.ext").write_text(extensions)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
             cwd=folder)  # fmt: skip
    return folder / f"{name}.pem", folder / f"{name}.key"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    require(shutil.which("openssl") is not None, "the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=PathSentry test CA", cwd=folder)  # fmt: skip
    server = _signed(folder, "server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\n")
    client = _signed(folder, "client", "/CN=SCANNER1", "extendedKeyUsage=clientAuth\n")
    return Certificates(folder / "ca.pem", server, client)


def _client_context(certificates: Certificates, *, with_certificate: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certificates.ca)
    if with_certificate:
        context.load_cert_chain(*certificates.client)
    return context


def _tls(certificates: Certificates) -> TlsSettings:
    certificate, key = certificates.server
    return TlsSettings(
        enabled=True,
        certificate=certificate,
        private_key=key,
        client_ca=certificates.ca,
        require_client_certificate=True,
    )


def test_a_slide_sent_over_tls_with_a_client_certificate_is_stored(
    start: StartIngest, slide: SyntheticSlide, certificates: Certificates
) -> None:
    ingest = start(tls=_tls(certificates))
    context = _client_context(certificates, with_certificate=True)
    files = [*slide.levels, *slide.extras]
    assert send(ingest.port, files, tls=context).codes == [0] * 6
    assert ingest.counts() == (1, 1, 6, 1)


def test_a_client_without_a_certificate_is_refused_and_logged(
    start: StartIngest,
    slide: SyntheticSlide,
    certificates: Certificates,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ingest = start(tls=_tls(certificates))
    context = _client_context(certificates, with_certificate=False)
    assert not send(ingest.port, [slide.levels[3]], tls=context).established
    assert f"refused connection from {HOST}: TLS handshake failed" in caplog.text
    assert ingest.counts() == (0, 0, 0, 0)


def test_a_plain_client_on_the_tls_port_is_refused_and_logged(
    start: StartIngest,
    slide: SyntheticSlide,
    certificates: Certificates,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ingest = start(tls=_tls(certificates))
    assert not send(ingest.port, [slide.levels[3]]).established
    # The client may see the refusal before the listener's thread has logged it.
    line = f"refused connection from {HOST}: TLS handshake failed"
    wait_for(lambda: line in caplog.text, "the refusal logged")
