# syntax=docker/dockerfile:1
# The whole product in one image: the API, serving the built SPA at /.

FROM node:20-bookworm-slim AS spa
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
# The committed API client is used as it is; the schema check runs in the test suite, not here.
RUN npx vite build && node scripts/precompress.mjs dist

FROM python:3.11-slim-bookworm AS wheels
WORKDIR /build
COPY pyproject.toml ./
COPY app/ app/
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/aivenger.db STORAGE_DIR=/data/media \
    FRONTEND_DIST=/srv/frontend/dist APP_ENV=production
RUN useradd --create-home --uid 10001 aivenger && mkdir /data && chown aivenger /data
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /srv
COPY alembic.ini ./
COPY migrations/ migrations/
COPY --from=spa /build/frontend/dist /srv/frontend/dist
USER aivenger
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
# Migrations first: they are the only thing that creates or changes the schema. Behind a proxy, set
# FORWARDED_ALLOW_IPS to its address so that X-Forwarded-For is believed from it and from nobody else.
CMD ["sh", "-c", "alembic upgrade head && exec python -m app serve --host 0.0.0.0 --port 8000"]
