"""DICOMweb under /dicom-web: QIDO-RS searches and WADO-RS retrieval over what PathSentry holds."""

from fastapi import APIRouter

from plugin.web.dicomweb import qido, wado

PREFIX = "/dicom-web"

router = APIRouter(prefix=PREFIX, tags=["dicomweb"])
router.include_router(qido.router)
router.include_router(wado.router)
