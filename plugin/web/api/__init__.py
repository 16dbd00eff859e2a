"""The JSON API under /api: worklist, cases, slides, results, jobs, exports, reviews, audit."""

from fastapi import APIRouter

from plugin.web.api import access, cases, exports, jobs, reviews, worklist

router = APIRouter(prefix="/api")
for module in (worklist, cases, reviews, jobs, exports, access):
    router.include_router(module.router)
