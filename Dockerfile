# syntax=docker/dockerfile:1
# Bookwell: `docker build -t bookwell .`; the image runs `bookwell serve` (API only), and
# `bookwell migrate | worker | scheduler` with another command.

# --- builder: the locked dependencies and the project, in /app/.venv ---------------------
FROM python:3.12-slim AS builder
ARG UV_VERSION=0.13.8
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
# Byte-compile now (the runtime's filesystem may be read-only); copy, not hard links, as the
# venv leaves this stage; use this image's Python, never a downloaded one.
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0 UV_PYTHON=python3.12
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --all-extras --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev --all-extras
# GraphiQL's files: the pinned npm tarballs, checked against their sha512 (bookwell/graphql/graphiql),
# so /graphql needs no network at runtime.
RUN BOOKWELL_GRAPHIQL_ASSETS_DIR=/app/graphiql .venv/bin/bookwell graphiql fetch

# --- runtime: Python, the venv and the app; no uv, no build tools -------------------------
FROM python:3.12-slim AS runtime
RUN groupadd --system --gid 10001 bookwell \
    && useradd --system --uid 10001 --gid bookwell --home-dir /app --shell /usr/sbin/nologin bookwell \
    && mkdir -p /data && chown bookwell:bookwell /data
WORKDIR /app
# The project is installed editable from /app/src, and `bookwell migrate` finds migrations/
# beside src/: the same paths as in the builder.
COPY --from=builder /app/.venv ./.venv
COPY --from=builder /app/graphiql ./graphiql
COPY src ./src
COPY migrations ./migrations
COPY alembic.ini schema.graphql ./
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BOOKWELL_HOST=0.0.0.0 \
    BOOKWELL_PORT=8000 \
    BOOKWELL_ENVIRONMENT=production \
    BOOKWELL_DATA_DIR=/data \
    BOOKWELL_GRAPHIQL_ASSETS_DIR=/app/graphiql
USER bookwell:bookwell
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ.get('BOOKWELL_PORT', '8000') + '/health', timeout=4)"]
# Migrates (idempotent; the migrate job/service normally has) and serves the API only: the
# relay, worker and scheduler run as `bookwell worker` and `bookwell scheduler`.
CMD ["bookwell", "serve", "--no-background"]
