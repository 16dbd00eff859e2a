"""The slide viewer's scripts (npm packages installed by the set-up), served as static files."""

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from config import Settings

log = logging.getLogger(__name__)

VIEWER_URL = "/viewer/dmv"
CLIENT_URL = "/viewer/dicomweb-client"
_VIEWER_DIST = Path("dicom-microscopy-viewer") / "dist"
_CLIENT_BUILD = Path("dicomweb-client") / "build"
_BUNDLE = "dicomMicroscopyViewer.bundle.min.js"
_CLIENT = "dicomweb-client.js"


# The case page with the viewer: its decoders are WebAssembly run in module workers, and the
# map library sets inline styles on its elements; still nothing from elsewhere, no eval.
VIEWER_PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class ViewerBundle:
    """Whether the viewer is installed, and if not, why (shown on the case page)."""

    modules: Path
    missing: str | None

    @property
    def available(self) -> bool:
        """Both the viewer bundle and the DICOMweb client are installed."""
        return self.missing is None


def viewer_bundle(settings: Settings) -> ViewerBundle:
    """The installed viewer under `web.viewer_assets` (default: plugin/web/viewer/node_modules)."""
    modules = settings.web.viewer_assets or Path(
        str(resources.files("plugin.web") / "viewer" / "node_modules")
    )
    for needed in (_VIEWER_DIST / _BUNDLE, _CLIENT_BUILD / _CLIENT):
        if not (modules / needed).is_file():
            reason = (
                f"the slide viewer is not installed ({needed.name} is missing; "
                "run `npm ci` in plugin/web/viewer, as `make venv` does)"
            )
            return ViewerBundle(modules, reason)
    return ViewerBundle(modules, None)


def pacs_page_folders(bundle: ViewerBundle) -> dict[str, Path]:
    """What a PACS's web server serves, by URL path, for PathSentry's viewer page next to its
    DICOMweb (Orthanc: the ServeFolders plugin); the page is /pathsentry/viewer.html."""
    web = Path(str(resources.files("plugin.web")))
    return {
        "/pathsentry": web / "pacs_page",
        "/static": web / "static",
        VIEWER_URL: bundle.modules / _VIEWER_DIST,
        CLIENT_URL: bundle.modules / _CLIENT_BUILD,
    }


def mount_viewer(app: FastAPI, bundle: ViewerBundle) -> None:
    """Serve the viewer's files when installed; log why not otherwise."""
    if not bundle.available:
        log.warning("case pages show thumbnails only: %s", bundle.missing)
        return
    app.mount(VIEWER_URL, StaticFiles(directory=bundle.modules / _VIEWER_DIST), name="viewer")
    client = StaticFiles(directory=bundle.modules / _CLIENT_BUILD)
    app.mount(CLIENT_URL, client, name="viewer-client")
