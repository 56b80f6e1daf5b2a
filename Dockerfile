# syntax=docker/dockerfile:1
# Multi-stage: build the virtualenv (and fetch htmx) in one stage, run as a non-root user in another.

FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
COPY pyproject.toml README.md piccolo_conf.py ./
COPY domain ./domain
COPY web ./web
COPY tasks ./tasks
COPY migrations ./migrations
COPY bench ./bench
RUN /venv/bin/pip install .
COPY scripts/fetch_htmx.sh ./scripts/fetch_htmx.sh
COPY static ./static
RUN bash scripts/fetch_htmx.sh

FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system agora && useradd --system --gid agora --home-dir /app agora
WORKDIR /app
ENV PATH="/venv/bin:$PATH" PYTHONUNBUFFERED=1 AGORA_ENV=production PORT=8000 MEDIA_DIR=/app/media
COPY --from=build /venv /venv
COPY --chown=agora:agora piccolo_conf.py Procfile ./
COPY --chown=agora:agora domain ./domain
COPY --chown=agora:agora web ./web
COPY --chown=agora:agora tasks ./tasks
COPY --chown=agora:agora migrations ./migrations
COPY --chown=agora:agora templates ./templates
COPY --from=build --chown=agora:agora /app/static ./static
# Uploaded images (a volume in compose.yml); owned by agora so web and worker may write there.
RUN mkdir -p /app/media && chown agora:agora /app/media
USER agora
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health/live')"
# The same command as the Procfile's `web` line; compose overrides it for `worker` and `release`.
CMD ["sh", "-c", "exec uvicorn --factory web.app:create_app --host 0.0.0.0 --port ${PORT:-8000} --proxy-headers --no-server-header"]
