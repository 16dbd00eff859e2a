"""Typed settings, the defaults file and logging setup. Imports nothing else of ours."""

from config.errors import ConfigError, PathSentryError
from config.loading import load_settings
from config.settings import (
    DbSettings,
    DicomSettings,
    EvaluationSettings,
    ExportDestination,
    ExportSettings,
    InferenceSettings,
    JobSettings,
    QualitySettings,
    ResultsSettings,
    Settings,
    StorageSettings,
    TrainingSettings,
    TriageSettings,
    WebSettings,
)

__all__ = [
    "ConfigError",
    "DbSettings",
    "DicomSettings",
    "EvaluationSettings",
    "ExportDestination",
    "ExportSettings",
    "InferenceSettings",
    "JobSettings",
    "PathSentryError",
    "QualitySettings",
    "ResultsSettings",
    "Settings",
    "StorageSettings",
    "TrainingSettings",
    "TriageSettings",
    "WebSettings",
    "load_settings",
]
