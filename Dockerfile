# LeadForge's container image: the `leadforge` CLI with the `serve` extra and git, on a distroless-like root
# (the Python runtime, the venv, git and the libraries they link to; no shell, no pip, no package manager).
# Build it with container/build.sh (buildah, podman or docker; see docs/DEVELOPING.md), which also writes the
# SBOMs and the audit to dist/. Variants through build arguments:
#   CLI (default):  EXTRAS="serve"                  RUNTIME_PACKAGES="git ca-certificates"
#   visual:         EXTRAS="serve visual"           RUNTIME_PACKAGES="git ca-certificates chromium fonts-liberation libatomic1"
#                   CHROMIUM=/usr/lib/chromium/chromium
# BASE is any Debian-based image with python3 (>= 3.11): the public python image by default; where no registry
# can be reached, container/build.sh makes one with mmdebstrap from the machine's own apt sources.

ARG BASE=docker.io/library/python:3.11-slim-bookworm

# ---- builder: the locked dependencies in a venv, then the project as a wheel ------------------------------------
FROM ${BASE} AS builder
ARG UV_VERSION=0.13.9
ARG EXTRAS="serve"
ENV UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_COMPILE_BYTECODE=0 UV_PROJECT_ENVIRONMENT=/opt/leadforge \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
# Every step that downloads trusts the build machine's CA bundle when one is given as the secret `ca-bundle`
# (container/build.sh passes it: a machine behind a TLS proxy); it is mounted, never copied into a layer.
# uv from PyPI, in its own venv (nothing of it reaches the final image)
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export SSL_CERT_FILE=/run/secrets/ca-bundle PIP_CERT=/run/secrets/ca-bundle; fi && \
    python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# the dependencies alone first: this layer is reused until uv.lock or the extras change
RUN --mount=type=cache,target=/root/.cache/uv --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export SSL_CERT_FILE=/run/secrets/ca-bundle PIP_CERT=/run/secrets/ca-bundle; fi && \
    /opt/uv/bin/uv sync --locked --no-dev --no-install-project --python python3 $(printf -- '--extra %s ' ${EXTRAS})
COPY scripts ./scripts
RUN --mount=type=cache,target=/root/.cache/uv --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export SSL_CERT_FILE=/run/secrets/ca-bundle PIP_CERT=/run/secrets/ca-bundle; fi && \
    /opt/uv/bin/uv sync --locked --no-dev --no-editable --python python3 $(printf -- '--extra %s ' ${EXTRAS}) && \
    /opt/uv/bin/uv build --wheel --out-dir /dist && \
    /opt/leadforge/bin/leadforge --version

# ---- sbom: CycloneDX of the image's venv and of the wheel (with its locked core dependencies) ------------------
FROM builder AS sbom-build
RUN --mount=type=cache,target=/root/.cache/uv --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export SSL_CERT_FILE=/run/secrets/ca-bundle PIP_CERT=/run/secrets/ca-bundle; fi && \
    /opt/uv/bin/uv export --quiet --locked --only-group release --no-emit-project --no-hashes -o /tmp/sbom-tools.txt && \
    /opt/uv/bin/uv venv --quiet /opt/sbom-tools --python python3 && \
    /opt/uv/bin/uv pip install --quiet --python /opt/sbom-tools/bin/python -r /tmp/sbom-tools.txt && \
    /opt/uv/bin/uv export --quiet --locked --no-dev --no-emit-project --no-hashes -o /tmp/core.txt && \
    /opt/uv/bin/uv venv --quiet /opt/wheel --python python3 && \
    /opt/uv/bin/uv pip install --quiet --python /opt/wheel/bin/python -c /tmp/core.txt /dist/leadforge-*.whl && \
    mkdir /out && cp /dist/leadforge-*.whl /out/ && \
    /opt/sbom-tools/bin/cyclonedx-py environment --pyproject pyproject.toml --output-reproducible \
      -o /out/image.cdx.json /opt/leadforge && \
    /opt/sbom-tools/bin/cyclonedx-py environment --pyproject pyproject.toml --output-reproducible --mc-type library \
      -o /out/wheel.cdx.json /opt/wheel

FROM scratch AS sbom
COPY --from=sbom-build /out/ /

# ---- rootfs: the distroless-like root of the final image ------------------------------------------------------
FROM builder AS rootfs
ARG RUNTIME_PACKAGES="git ca-certificates"
COPY container/rootfs.sh /tmp/rootfs.sh
RUN RUNTIME_PACKAGES="${RUNTIME_PACKAGES}" bash /tmp/rootfs.sh /rootfs /opt/leadforge

# ---- the image -------------------------------------------------------------------------------------------------
FROM scratch
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=https://github.com/leadforge/leadforge
ARG BASE
ARG CHROMIUM=""
COPY --from=rootfs /rootfs/ /
COPY --from=rootfs /opt/leadforge /opt/leadforge
ENV PATH=/opt/leadforge/bin:/usr/local/bin:/usr/bin:/bin \
    HOME=/home/nonroot LANG=C.UTF-8 PYTHONUTF8=1 PYTHONUNBUFFERED=1 PYTHONPYCACHEPREFIX=/tmp/pycache \
    LEADFORGE_CHROMIUM=${CHROMIUM}
USER 65532:65532
WORKDIR /work
# `leadforge serve` listens here (the `serve` extra is installed)
EXPOSE 8080
ENTRYPOINT ["/opt/leadforge/bin/leadforge"]
CMD ["--help"]
LABEL org.opencontainers.image.title="leadforge" \
      org.opencontainers.image.description="GitOps pipeline for AI coding agents: task queue, PR review, visual regression, releases, environments, metrics." \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.documentation="${SOURCE}#readme" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.vendor="LeadForge" \
      org.opencontainers.image.base.name="${BASE}"
