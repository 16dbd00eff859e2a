"""A real Orthanc PACS for tests: started on free loopback ports with a generated configuration in
a temporary folder. Its storage survives stop() and start(), so a test can take the PACS down
and bring it back.

    with OrthancServer(tmp_path / "pacs") as pacs:
        pacs.upload(path)
        assert pacs.instance(sop_instance_uid) is not None
"""

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
PLUGINS = Path("/usr/share/orthanc/plugins")
DICOMWEB_PLUGIN = PLUGINS / "libOrthancDicomWeb.so"
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class OrthancServer:
    """One Orthanc process: REST at `url`, DICOMweb at `dicomweb_url`, DICOM at
    `ae_title`@`host`:`dicom_port`.

    `modalities` maps a name to (AE title, host, port) of peers Orthanc may send to;
    `lua` is the text of a Lua script (for example a ReceivedInstanceFilter that refuses
    instances); `options` overrides or adds any configuration option.
    """

    def __init__(
        self,
        folder: Path,
        *,
        ae_title: str = "ORTHANC",
        check_called_ae_title: bool = True,
        modalities: dict[str, tuple[str, str, int]] | None = None,
        lua: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.folder = folder
        self.ae_title = ae_title
        self.host = HOST
        self.http_port = free_port()
        self.dicom_port = free_port()
        self._check_called_ae_title = check_called_ae_title
        self._modalities = modalities or {}
        self._lua = lua
        self._options = options or {}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        """The DICOMweb root (STOW-RS posts to <root>/studies)."""
        return f"{self.url}/dicom-web"

    @property
    def log_path(self) -> Path:
        return self.folder / "orthanc.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def configuration(self) -> dict[str, Any]:
        """The generated configuration: loopback only, no authentication, storage in `folder`."""
        storage = str(self.folder / "storage")
        config: dict[str, Any] = {
            "Name": f"pathsentry-test-{self.ae_title}",
            "StorageDirectory": storage,
            "IndexDirectory": storage,
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": self.ae_title,
            "DicomCheckCalledAet": self._check_called_ae_title,
            "DicomModalities": {
                name: [aet, host, port] for name, (aet, host, port) in self._modalities.items()
            },
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "Plugins": [str(DICOMWEB_PLUGIN)],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
            "UnknownSopClassAccepted": False,
            "AcceptedTransferSyntaxes": ["1.2.840.10008.1.*"],
            "SaveJobs": False,
            "ConcurrentJobs": 1,
            "DicomThreadsCount": 2,
            "HttpThreadsCount": 8,
            "StableAge": 1,
            "DicomScpTimeout": 10,
            "DicomScuTimeout": 10,
        }
        if self._lua is not None:
            config["LuaScripts"] = [str(self.folder / "filter.lua")]
        config.update(self._options)
        return config

    def start(self) -> None:
        """Starts Orthanc (again) on the same ports and storage; returns once REST answers."""
        if self.running:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._lua is not None:
            (self.folder / "filter.lua").write_text(self._lua)
        config_path = self.folder / "orthanc.json"
        config_path.write_text(json.dumps(self.configuration(), indent=2))
        self._process = subprocess.Popen(
            [ORTHANC, f"--logfile={self.log_path}", str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready()

    def stop(self) -> None:
        """Stops Orthanc, keeping its storage; the ports stay reserved for `start`."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> "OrthancServer":
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start-up:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/system", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer within {START_TIMEOUT_S} s:\n{self.log()}")

    def log(self) -> str:
        """The end of Orthanc's log, for failure messages."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])

    # REST helpers

    def get(self, path: str) -> Any:
        """GET a REST resource as JSON."""
        response = httpx.get(f"{self.url}{path}", timeout=30.0)
        response.raise_for_status()
        return response.json()

    def upload(self, path: Path) -> dict[str, Any]:
        """Stores a DICOM file through the REST API (as a scanner or router would have)."""
        response = httpx.post(f"{self.url}/instances", content=path.read_bytes(), timeout=60.0)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def studies(self) -> list[dict[str, Any]]:
        """Every study, expanded (MainDicomTags, Series ids)."""
        result: list[dict[str, Any]] = self.get("/studies?expand")
        return result

    def series(self, study_id: str | None = None) -> list[dict[str, Any]]:
        """Every series (of one study when `study_id`, an Orthanc id, is given), expanded."""
        path = f"/studies/{study_id}/series" if study_id else "/series?expand"
        result: list[dict[str, Any]] = self.get(path)
        return result

    def instances(self, series_id: str | None = None) -> list[dict[str, Any]]:
        """Every instance (of one series when `series_id` is given), expanded."""
        path = f"/series/{series_id}/instances" if series_id else "/instances?expand"
        result: list[dict[str, Any]] = self.get(path)
        return result

    def lookup(self, uid: str) -> dict[str, Any] | None:
        """The Orthanc resource (Type, ID, Path) of a DICOM UID, or None when absent."""
        response = httpx.post(f"{self.url}/tools/lookup", content=uid, timeout=30.0)
        response.raise_for_status()
        matches: list[dict[str, Any]] = response.json()
        return matches[0] if matches else None

    def instance(self, sop_instance_uid: str) -> dict[str, Any] | None:
        """The stored instance with this SOP Instance UID (expanded), or None."""
        match = self.lookup(sop_instance_uid)
        if match is None or match["Type"] != "Instance":
            return None
        result: dict[str, Any] = self.get(f"/instances/{match['ID']}")
        return result

    def study_of_instance(self, sop_instance_uid: str) -> str | None:
        """The Study Instance UID Orthanc filed an instance under, or None."""
        match = self.lookup(sop_instance_uid)
        if match is None:
            return None
        study: dict[str, Any] = self.get(f"/instances/{match['ID']}/study")
        return str(study["MainDicomTags"]["StudyInstanceUID"])

    def file_of(self, sop_instance_uid: str) -> bytes:
        """The stored DICOM file of an instance, byte for byte."""
        match = self.lookup(sop_instance_uid)
        assert match is not None, f"{sop_instance_uid} is not stored"
        response = httpx.get(f"{self.url}/instances/{match['ID']}/file", timeout=60.0)
        response.raise_for_status()
        return response.content
