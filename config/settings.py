"""The typed settings model: one section per part of the service."""

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

WSI_STORAGE = "1.2.840.10008.5.1.4.1.1.77.1.6"

# Transfer syntaxes that slide scanners and converters use for whole-slide images.
SCANNER_TRANSFER_SYNTAXES = [
    "1.2.840.10008.1.2.4.50",  # JPEG baseline
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.4.201",  # HTJ2K lossless
    "1.2.840.10008.1.2.4.202",  # HTJ2K lossless RPCL
    "1.2.840.10008.1.2.4.203",  # HTJ2K
    "1.2.840.10008.1.2.4.80",  # JPEG-LS lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless
    "1.2.840.10008.1.2.1",  # explicit VR little endian
    "1.2.840.10008.1.2",  # implicit VR little endian
]

_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
_DEVICE = re.compile(r"^(auto|cpu|cuda(:[0-9]+)?)$")


def _check_device(value: str) -> str:
    if not _DEVICE.match(value):
        raise ValueError("use auto, cpu, cuda or cuda:N")
    return value


# Where torch runs: auto (CUDA when there is one), cpu, cuda or cuda:N.
Device = Annotated[str, AfterValidator(_check_device)]


def _check_ae_title(value: str) -> str:
    if not 1 <= len(value.strip()) <= 16 or "\\" in value or not value.isascii():
        raise ValueError("an AE title has 1 to 16 ASCII characters and no backslash")
    if any(not ch.isprintable() for ch in value):
        raise ValueError("an AE title has no control characters")
    return value.strip()


def _check_uid(value: str) -> str:
    if len(value) > 64 or not _UID.match(value):
        raise ValueError("a UID is up to 64 digits and dots, without leading zeros")
    return value


def _check_network(key: str, value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"{key} takes IP addresses or networks (10.1.2.3, 10.1.2.0/24); got {value!r}"
        ) from None
    return value


def _empty_is_unset(value: object) -> object:
    # An empty value in a file or the environment means "not set", never the path ".".
    return None if isinstance(value, str) and not value.strip() else value


AeTitle = Annotated[str, Field(min_length=1, max_length=16)]
Seconds = Annotated[float, Field(gt=0)]
Port = Annotated[int, Field(ge=1, le=65535)]


class Section(BaseModel):
    """A settings section: unknown keys are refused so that typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsSettings(Section):
    """Optional TLS for the DICOM listener."""

    enabled: bool = False
    certificate: Path | None = None
    private_key: Path | None = None
    client_ca: Path | None = Field(
        default=None, description="CA bundle that client certificates must chain to"
    )
    require_client_certificate: bool = False

    @field_validator("certificate", "private_key", "client_ca", mode="before")
    @classmethod
    def _empty_files(cls, value: object) -> object:
        return _empty_is_unset(value)

    @model_validator(mode="after")
    def _files_when_enabled(self) -> "TlsSettings":
        if self.enabled and (self.certificate is None or self.private_key is None):
            raise ValueError("TLS needs both certificate and private_key")
        if self.require_client_certificate and self.client_ca is None:
            raise ValueError("require_client_certificate needs client_ca")
        return self


class DicomSettings(Section):
    """The DICOM listener (storage SCP) that scanners and PACS routers send slides to."""

    ae_title: AeTitle = "PATHSENTRY"
    host: str = "0.0.0.0"  # noqa: S104 - scanners on the hospital network must reach us
    port: Port = 11112
    max_pdu_size: Annotated[int, Field(ge=4096)] = 4 * 1024 * 1024
    allowed_sop_classes: list[str] = Field(default_factory=lambda: [WSI_STORAGE])
    transfer_syntaxes: list[str] = Field(default_factory=lambda: list(SCANNER_TRANSFER_SYNTAXES))
    allowed_calling_ae_titles: list[str] = Field(
        default_factory=list, description="empty: any calling AE title is accepted"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="IP addresses or networks (CIDR) that may connect; empty: any peer address",
    )
    require_called_ae_title: bool = True
    max_associations: Annotated[int, Field(ge=1, le=1000)] = 16
    listen_backlog: Annotated[int, Field(ge=16, le=65535)] = 128
    acse_timeout_s: Seconds = 30.0
    dimse_timeout_s: Seconds = 600.0
    network_timeout_s: Seconds = 600.0
    min_free_space_mb: Annotated[int, Field(ge=0)] = 1024
    slide_quiet_period_s: Seconds = 60.0
    tls: TlsSettings = TlsSettings()

    @field_validator("ae_title")
    @classmethod
    def _ae_title(cls, value: str) -> str:
        return _check_ae_title(value)

    @field_validator("allowed_calling_ae_titles")
    @classmethod
    def _calling_titles(cls, value: list[str]) -> list[str]:
        return [_check_ae_title(title) for title in value]

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        return [_check_network("allowed_hosts", host) for host in value]

    @field_validator("allowed_sop_classes", "transfer_syntaxes")
    @classmethod
    def _uids(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("the list may not be empty")
        return [_check_uid(uid) for uid in value]


class StorageSettings(Section):
    """Where received slides, outputs and (by default) the database live."""

    data_dir: Path = Field(default=Path("~/.local/share/pathsentry"), validate_default=True)

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def incoming_dir(self) -> Path:
        return self.data_dir / "incoming"

    @property
    def slides_dir(self) -> Path:
        return self.data_dir / "slides"

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"


class DbSettings(Section):
    """The database: SQLite in the data directory unless a URL is given."""

    url: str = Field(default="", description="empty: SQLite file in the data directory")
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_dialect(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("use a sqlite:/// or postgresql+psycopg:// URL")
        return value


# Marks a setting that changes the probability map or the score: such settings enter the
# digest in every output's UIDs (config.output_settings), so changing one gives new objects.
AFFECTS_OUTPUT = {"affects_output": True}


class InferenceSettings(Section):
    """The segmentation network and how slides are tiled for it (numbers from Song et al.)."""

    weights: Path | None = Field(default=None, description="empty: the bundled demo model")
    device: Device = "auto"
    precision: Annotated[
        Literal["auto", "float32", "bfloat16", "float16"], Field(json_schema_extra=AFFECTS_OUTPUT)
    ] = "auto"
    analysis_spacing_um: Annotated[
        float, Field(gt=0.05, lt=50, json_schema_extra=AFFECTS_OUTPUT)
    ] = 0.476
    spacing_tolerance: Annotated[float, Field(ge=0, lt=0.5, json_schema_extra=AFFECTS_OUTPUT)] = 0.1
    map_spacing_um: Annotated[float, Field(gt=0.05, le=1000, json_schema_extra=AFFECTS_OUTPUT)] = (
        8.0
    )
    tile_size: Annotated[int, Field(ge=64, le=8192, json_schema_extra=AFFECTS_OUTPUT)] = 2200
    tile_keep: Annotated[int, Field(ge=32, le=8192, json_schema_extra=AFFECTS_OUTPUT)] = 2000
    batch_size: Annotated[int, Field(ge=1, le=256)] = 4
    top_k: Annotated[int, Field(ge=1, json_schema_extra=AFFECTS_OUTPUT)] = 1000
    compile: bool = False
    reader_threads: Annotated[int, Field(ge=1, le=64)] = 4
    # Slides per device at once in `serve`: one runs on the device while the next is prepared
    # (opened, thumbnail, tissue) and the last one's outputs are written.
    slides_in_flight: Annotated[int, Field(ge=1, le=4)] = 2
    allow_cpu_fallback: bool = False

    @field_validator("weights", mode="before")
    @classmethod
    def _empty_weights(cls, value: object) -> object:
        return _empty_is_unset(value)  # PATHSENTRY_INFERENCE__WEIGHTS= : the bundled model

    @model_validator(mode="after")
    def _tile_geometry(self) -> "InferenceSettings":
        margin = self.tile_size - self.tile_keep
        if margin < 0 or margin % 2:
            raise ValueError("tile_keep must not exceed tile_size, and their difference is even")
        return self


class TriageSettings(Section):
    """How slide scores become worklist priority."""

    threshold: Annotated[float, Field(ge=0, le=1)] = 0.5


class ResultsSettings(Section):
    """What is written back besides the probability map's levels and the report."""

    probability_floor: Annotated[float, Field(ge=0, lt=1, json_schema_extra=AFFECTS_OUTPUT)] = 0.1
    binary_segmentation: Annotated[bool, Field(json_schema_extra=AFFECTS_OUTPUT)] = False
    max_foci: Annotated[int, Field(ge=0, le=100, json_schema_extra=AFFECTS_OUTPUT)] = 5


class QualitySettings(Section):
    """The quality gate before the network judges a slide (inference.quality.QualityParameters);
    what each default was chosen from is in config/default.toml."""

    enabled: Annotated[bool, Field(json_schema_extra=AFFECTS_OUTPUT)] = True
    min_evaluable_fraction: Annotated[
        float, Field(ge=0, le=1, json_schema_extra=AFFECTS_OUTPUT)
    ] = 0.7
    focus_spacing_um: Annotated[float, Field(gt=0.1, le=8, json_schema_extra=AFFECTS_OUTPUT)] = 1.0
    focus_block_um: Annotated[float, Field(ge=16, le=2048, json_schema_extra=AFFECTS_OUTPUT)] = (
        128.0
    )
    min_sharpness: Annotated[float, Field(ge=0, json_schema_extra=AFFECTS_OUTPUT)] = 0.45
    pen_green_red: Annotated[float, Field(ge=0, json_schema_extra=AFFECTS_OUTPUT)] = 0.05
    pen_blue_red: Annotated[float, Field(ge=0, json_schema_extra=AFFECTS_OUTPUT)] = 0.2
    pen_black_density: Annotated[float, Field(gt=0, json_schema_extra=AFFECTS_OUTPUT)] = 0.3
    fold_density_ratio: Annotated[float, Field(gt=1, json_schema_extra=AFFECTS_OUTPUT)] = 1.4
    fold_nuclear_ratio: Annotated[float, Field(gt=1, json_schema_extra=AFFECTS_OUTPUT)] = 2.5
    bubble_min_radius_um: Annotated[float, Field(gt=0, json_schema_extra=AFFECTS_OUTPUT)] = 150.0
    bubble_max_radius_um: Annotated[float, Field(gt=0, json_schema_extra=AFFECTS_OUTPUT)] = 1500.0
    bubble_rim_contrast: Annotated[float, Field(gt=0, json_schema_extra=AFFECTS_OUTPUT)] = 6.0
    bubble_brightening: Annotated[float, Field(ge=0, json_schema_extra=AFFECTS_OUTPUT)] = 10.0
    coverslip_min_length_um: Annotated[float, Field(gt=0, json_schema_extra=AFFECTS_OUTPUT)] = (
        1000.0
    )
    coverslip_rim_contrast: Annotated[float, Field(gt=0, json_schema_extra=AFFECTS_OUTPUT)] = 4.0
    min_defect_area_mm2: Annotated[float, Field(ge=0, json_schema_extra=AFFECTS_OUTPUT)] = 0.02


class TrainingSettings(Section):
    """How `pathsentry train` learns from annotated slides (patch size and augmentation of Song
    et al.; the optimiser is Adam)."""

    patch_size: Annotated[int, Field(ge=64, le=2048)] = 320
    batch_size: Annotated[int, Field(ge=1, le=1024)] = 8
    learning_rate: Annotated[float, Field(gt=0, lt=1)] = 1e-3
    weight_decay: Annotated[float, Field(ge=0, lt=1)] = 0.0
    steps: Annotated[int, Field(ge=1)] = 2000
    warmup_steps: Annotated[int, Field(ge=1)] = 50
    malignant_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.5
    validation_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.2
    validation_patches: Annotated[int, Field(ge=0)] = 64
    validate_every: Annotated[int, Field(ge=1)] = 100
    checkpoint_every: Annotated[int, Field(ge=1)] = 100
    seed: Annotated[int, Field(ge=0)] = 0
    workers: Annotated[int, Field(ge=1, le=64)] = 4
    device: Device = "auto"
    precision: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    unannotated: Literal["ignore", "benign"] = "ignore"


class EvaluationSettings(Section):
    """How `pathsentry evaluate` reports: the sensitivity to find a threshold for, periods."""

    target_sensitivity: Annotated[float, Field(gt=0, le=1)] = 0.99
    period: Literal["week", "month", "quarter", "year"] = "month"
    bootstrap: Annotated[int, Field(ge=0, le=100_000)] = 1000


class JobSettings(Section):
    """The durable job queue, its in-process workers, and (with a broker) Celery workers."""

    max_attempts: Annotated[int, Field(ge=1, le=100)] = 3
    max_crashes: Annotated[int, Field(ge=1, le=100)] = 5
    retry_delay_s: Annotated[float, Field(ge=0)] = 30.0
    poll_interval_s: Seconds = 1.0
    stale_after_s: Seconds = 600.0
    broker_url: str = Field(default="", description="empty: one process, no broker")
    queue: str = Field(default="pathsentry.analysis", min_length=1, max_length=200)
    message_timeout_s: Seconds = 14400.0
    republish_after_s: Seconds = 1800.0

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str) -> str:
        if value and not value.startswith(("amqp://", "amqps://", "redis://", "rediss://")):
            raise ValueError("use an amqp:// (RabbitMQ) or redis:// URL, or leave it empty")
        return value

    @property
    def distributed(self) -> bool:
        """Whether analysis runs in Celery workers (a broker is set) rather than in `serve`."""
        return bool(self.broker_url)


class DimseDestination(Section):
    """A PACS that receives results by C-STORE."""

    kind: Literal["dimse"]
    name: Annotated[str, Field(min_length=1, max_length=64)]
    ae_title: AeTitle
    host: str
    port: Port
    calling_ae_title: AeTitle = "PATHSENTRY"
    timeout_s: Seconds = Field(
        default=120.0, description="connection, association and per-response timeout"
    )

    @field_validator("ae_title", "calling_ae_title")
    @classmethod
    def _ae_titles(cls, value: str) -> str:
        return _check_ae_title(value)


class DicomwebDestination(Section):
    """A DICOMweb server that receives results by STOW-RS."""

    kind: Literal["dicomweb"]
    name: Annotated[str, Field(min_length=1, max_length=64)]
    url: Annotated[str, Field(pattern=r"^https?://")]
    token: SecretStr | None = Field(
        default=None, description="bearer token, if the server needs one"
    )
    timeout_s: Seconds = 120.0


class FolderDestination(Section):
    """A folder that receives result files (for a share that a PACS imports from)."""

    kind: Literal["folder"]
    name: Annotated[str, Field(min_length=1, max_length=64)]
    path: Path


ExportDestination = Annotated[
    DimseDestination | DicomwebDestination | FolderDestination, Field(discriminator="kind")
]


class ExportSettings(Section):
    """Where results go, and how hard we try."""

    destinations: list[ExportDestination] = Field(default_factory=list)
    max_attempts: Annotated[int, Field(ge=1, le=1000)] = 12
    initial_backoff_s: Seconds = 5.0
    max_backoff_s: Seconds = 900.0
    claim_timeout_s: Seconds = 3600.0

    @field_validator("destinations")
    @classmethod
    def _unique_names(cls, value: list[ExportDestination]) -> list[ExportDestination]:
        names = [destination.name for destination in value]
        if len(names) != len(set(names)):
            raise ValueError(f"destination names must be unique, got {names}")
        return value


class WebSettings(Section):
    """The web API and dashboard."""

    host: str = "127.0.0.1"
    port: Port = 8000
    admin_token: SecretStr | None = Field(
        default=None, description="seeds an admin bearer token at start-up"
    )
    refresh_seconds: Annotated[int, Field(ge=1, le=3600)] = 5
    metrics_trusted_networks: list[str] = Field(
        default_factory=list,
        description="IP networks (CIDR) whose callers may read /metrics without a token",
    )
    trust_proxy_headers: bool = Field(
        default=False,
        description="believe X-Forwarded-Proto/-Host from a reverse proxy (HTTPS cookies)",
    )

    viewer_assets: Path | None = Field(
        default=None,
        description="the installed viewer (npm ci in plugin/web/viewer); unset: that folder",
    )
    viewer_url_template: str = Field(
        default="",
        description="an 'open in viewer' link per slide; {study} and {series} are replaced",
    )

    @field_validator("admin_token", mode="before")
    @classmethod
    def _empty_token(cls, value: object) -> object:
        return _empty_is_unset(value)

    @field_validator("metrics_trusted_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return [_check_network("metrics_trusted_networks", network) for network in value]

    @field_validator("viewer_assets", mode="before")
    @classmethod
    def _empty_assets(cls, value: object) -> object:
        return _empty_is_unset(value)

    @field_validator("viewer_url_template")
    @classmethod
    def _viewer_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://", "/")):
            raise ValueError("must start with https://, http:// or / (a path on this server)")
        unknown = set(re.findall(r"{([^}]*)}", value)) - {"study", "series"}
        if unknown:
            raise ValueError(f"only {{study}} and {{series}} may be used, not {sorted(unknown)}")
        return value


class Settings(BaseSettings):
    """Every setting of PathSentry; built only by `config.load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="PATHSENTRY_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    dicom: DicomSettings = DicomSettings()
    storage: StorageSettings = StorageSettings()
    db: DbSettings = DbSettings()
    inference: InferenceSettings = InferenceSettings()
    triage: TriageSettings = TriageSettings()
    results: ResultsSettings = ResultsSettings()
    quality: QualitySettings = QualitySettings()
    training: TrainingSettings = TrainingSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    jobs: JobSettings = JobSettings()
    export: ExportSettings = ExportSettings()
    web: WebSettings = WebSettings()

    @property
    def database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        return self.db.url or f"sqlite:///{self.storage.data_dir / 'pathsentry.db'}"
