# Tandem as an image: `docker compose up` (docker-compose.yml) runs it with PostgreSQL.
#
# Two stages: the first installs the project and its dependencies into a virtualenv (pip's
# wheels: psycopg, numpy, scipy and scikit-learn need no compiler); the second copies only that
# virtualenv onto a fresh slim base, so no build cache, source tree or pip state ships.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/tandem
WORKDIR /src
# Dependencies first, from pyproject alone, so a code change reuses this (slow) layer.
COPY pyproject.toml README.md LICENSE ./
RUN /opt/tandem/bin/pip install "setuptools>=70.1" \
 && /opt/tandem/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && /opt/tandem/bin/pip install -r /tmp/requirements.txt
COPY app.py ./
COPY bot ./bot
COPY handlers ./handlers
COPY prompts ./prompts
COPY scoring ./scoring
COPY storage ./storage
RUN /opt/tandem/bin/pip install --no-deps --no-build-isolation .

FROM python:3.11-slim
ENV PATH=/opt/tandem/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000
# A system user with no login shell and no sudo: the process owns nothing it need not write.
RUN useradd --system --uid 10001 --create-home --home-dir /home/tandem --shell /usr/sbin/nologin tandem
COPY --from=build /opt/tandem /opt/tandem
# The working directory is the user's home: the only place a SQLite file (the demo) can be written.
WORKDIR /home/tandem
USER tandem
EXPOSE 3000
# GET /healthz: 200 when the database answers, else 503; slim has no curl. HTTP mode serves it
# on PORT, Socket Mode (SLACK_APP_TOKEN set) on its side port TANDEM_METRICS_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('TANDEM_METRICS_PORT', '9102') if os.environ.get('SLACK_APP_TOKEN') else os.environ.get('PORT', '3000'); urllib.request.urlopen('http://127.0.0.1:%s/healthz' % port, timeout=4)"]
ENTRYPOINT ["tandem"]
CMD ["serve"]
