# Guichet — production image: gunicorn for the web, the same image for Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH"

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && useradd --create-home --uid 10001 guichet
# Where declaration files are kept (BULK_UPLOAD_DIR in docker-compose.yml) and where the
# processes count their metrics: a volume mounted here starts owned by the app's user.
RUN install -d -o guichet -g guichet /var/lib/guichet/uploads /var/lib/guichet/metrics
# gunicorn's workers (and Celery's pool) are several processes: each counts its metrics in a file
# there, and /internal/metrics adds them up (portal/metrics.py).
ENV PROMETHEUS_MULTIPROC_DIR=/var/lib/guichet/metrics

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project

COPY . .
# Static files and compiled translations are built into the image; settings need a key to load.
# collectstatic without DEBUG, so that the manifest storage of production writes its manifest.
RUN SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
        python manage.py collectstatic --noinput --verbosity 0 \
    && DEBUG=true SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
        python manage.py compilemessages --ignore=/opt/venv --verbosity 0

USER guichet
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
