"""The settings that change what an analysis outputs, and their digest (part of output UIDs).

A setting counts when its field is marked `json_schema_extra=AFFECTS_OUTPUT` in the settings
model; this module reads the marks, so a new output-changing setting is one mark, not a list
to keep in step.
"""

import hashlib
import json

from pydantic import BaseModel

from config.settings import AFFECTS_OUTPUT


def output_settings(settings: BaseModel) -> dict[str, object]:
    """Every marked setting of every section, as {"section.key": value}."""
    found: dict[str, object] = {}
    for name in type(settings).model_fields:
        section = getattr(settings, name)
        if not isinstance(section, BaseModel):
            continue
        for key, field in type(section).model_fields.items():
            if field.json_schema_extra == AFFECTS_OUTPUT:
                found[f"{name}.{key}"] = getattr(section, key)
    return found


def settings_digest(settings: BaseModel) -> str:
    """A short digest of every setting that changes the probability map or the score."""
    encoded = json.dumps(output_settings(settings), sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]
