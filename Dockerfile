# PathSentry for a CUDA GPU host: docker run --gpus all -p 11112:11112 -p 8000:8000 -v /srv/pathsentry:/data IMAGE
# Any role: IMAGE serve --roles ingest,web,export | IMAGE worker --device cuda:0 (deploy/compose.yaml)
# TORCH_FLAVOUR picks the CUDA build of torch to fit the host's NVIDIA driver (README, "Docker on a
# GPU host"): cu126 or cu128 (driver >= 525.60.13), cu130 (driver >= 580), cpu (no GPU).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
# Only behind a TLS-inspecting proxy (.ci/image-smoke): the CA bundle pip trusts, mounted into
# the build with `podman build -v`. Empty: pip's own.
ARG PIP_CERT=""
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The case page's slide viewer: npm installs exactly the lockfile's versions (no install scripts)
# here, whatever the build machine holds (.dockerignore leaves its node_modules out); npm trusts
# PIP_CERT too. Only the served files go on to the image.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /viewer
COPY plugin/web/viewer/package.json plugin/web/viewer/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund ${PIP_CERT:+--cafile "$PIP_CERT"}
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config config
COPY db db
COPY dicom dicom
COPY inference inference
COPY plugin plugin
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${BASE_IMAGE}
ARG TORCH_VERSION=2.13.0
ARG TORCH_FLAVOUR=cu128
ARG TORCH_INDEX=https://download.pytorch.org/whl
# A folder of torch wheels mounted into the build (`podman build -v HOST:FOLDER`) instead of
# TORCH_INDEX; torch's own dependencies then come from PyPI. Empty: TORCH_INDEX.
ARG TORCH_WHEELS=""
ARG PIP_CERT=""
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PATHSENTRY_STORAGE__DATA_DIR=/data \
    PATHSENTRY_WEB__HOST=0.0.0.0 \
    PATHSENTRY_WEB__VIEWER_ASSETS=/opt/pathsentry/viewer \
    TORCHINDUCTOR_CACHE_DIR=/data/cache/torchinductor \
    TRITON_CACHE_DIR=/data/cache/triton
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# A C compiler: Triton builds its CUDA launcher with it (inference.compile = true). Debian's
# point releases replace pinned versions: the base image's tag is what pins them.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
RUN if [ -n "${TORCH_WHEELS}" ]; then \
      pip install --find-links "${TORCH_WHEELS}" "torch==${TORCH_VERSION}+${TORCH_FLAVOUR}"; \
    else pip install --index-url "${TORCH_INDEX}/${TORCH_FLAVOUR}" "torch==${TORCH_VERSION}"; fi
COPY --from=build /wheels /wheels
COPY --from=build /viewer/node_modules/dicom-microscopy-viewer /opt/pathsentry/viewer/dicom-microscopy-viewer
COPY --from=build /viewer/node_modules/dicomweb-client /opt/pathsentry/viewer/dicomweb-client
# The one wheel built above (its version is this source tree's).
# hadolint ignore=DL3013
RUN wheel=(/wheels/pathsentry-*.whl) && pip install "${wheel[0]}[postgres]" && rm -rf /wheels \
 && useradd --system --no-log-init --uid 10001 --home-dir /data --shell /usr/sbin/nologin pathsentry \
 && mkdir -p /data && chown pathsentry /data
USER 10001
# bench, demo and relative paths land in the data volume, writable by this user.
WORKDIR /data
VOLUME ["/data"]
EXPOSE 11112 8000
# serve: /healthz on PATHSENTRY_WEB__PORT; a container without the web server sets
# PATHSENTRY_HEALTH_URL to its health port (worker --metrics-port 9100 or serve --health-port
# 9100: http://127.0.0.1:9100/healthz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as r; p = os.environ.get('PATHSENTRY_WEB__PORT', '8000'); u = os.environ.get('PATHSENTRY_HEALTH_URL') or f'http://127.0.0.1:{p}/healthz'; sys.exit(r.urlopen(u, timeout=4).status != 200)"]
ENTRYPOINT ["pathsentry"]
CMD ["serve"]
