# PathSentry for a CUDA GPU host: docker run --gpus all -p 11112:11112 -p 8000:8000 -v /srv/pathsentry:/data IMAGE
# Any role: IMAGE serve --roles ingest,web,export | IMAGE worker --device cuda:0 (deploy/compose.yaml)
# The PyPI build of torch for Linux bundles CUDA; the host needs the NVIDIA driver and container toolkit.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config config
COPY db db
COPY dicom dicom
COPY inference inference
COPY plugin plugin
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ARG TORCH_VERSION=2.13.0
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PATHSENTRY_STORAGE__DATA_DIR=/data \
    PATHSENTRY_WEB__HOST=0.0.0.0
RUN pip install "torch==${TORCH_VERSION}"
COPY --from=build /wheels /wheels
RUN pip install "$(ls /wheels/pathsentry-*.whl)[postgres]" && rm -rf /wheels \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin pathsentry \
 && mkdir -p /data && chown pathsentry /data
USER pathsentry
VOLUME ["/data"]
EXPOSE 11112 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["pathsentry"]
CMD ["serve"]
