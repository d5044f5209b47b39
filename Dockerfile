# One image for web and worker: `gunicorn -c gunicorn.conf.py 'cardsapp:create_app()'` (the
# default command) or `python -m worker`. What it holds, and why: docs/operations.md.
# BASE_IMAGE: any Debian bookworm image with Python 3.11 and pip (`make image-test` passes a
# stand-in built from Debian packages where Docker Hub cannot be reached).
ARG BASE_IMAGE=python:3.11-slim-bookworm

# --- build: install the locked dependencies and the project into a virtualenv -------------
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/cardsapp/bin:$PATH
RUN python3 -m venv /opt/cardsapp
WORKDIR /src
# The lock alone first: this layer is rebuilt only when the lock changes.
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY cardsapp ./cardsapp
COPY worker ./worker
# Catalogues are compiled before the install so that the .mo files ship with the package.
# A lock older than pyproject.toml must not break the build: whatever it lacks is resolved
# from pyproject's ranges, and the build says so (run `make lock`).
RUN pybabel compile -f -d cardsapp/translations \
    && pip install --no-deps . \
    && if ! pip check; then \
         echo "requirements/runtime.txt is behind pyproject.toml: run make lock" >&2; \
         pip install .; \
       fi \
    && pip uninstall --yes pip

# --- run: the virtualenv, the designs, two small Debian packages, a user without rights ---
FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/cardsapp/bin:$PATH \
    CARDS_ENV=production \
    CARDS_INSTANCE_PATH=/var/lib/cardsapp \
    CARDS_DATA_DIR=/var/lib/cardsapp/batches \
    CARDS_DESIGNS_DIR=/app/card_designs

# Pillow and psycopg wheels bundle their libraries; fonts come from pinned PyPI packages.
# Pillow's Raqm layout loads FriBiDi at run time: with it, the preview places glyphs exactly
# as the PDF does. tini reaps the worker's forked job processes and passes signals on.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfribidi0 tini \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log

RUN useradd --system --create-home --home-dir /home/cards --uid 10001 cards \
    && mkdir -p /var/lib/cardsapp/batches && chown -R cards /var/lib/cardsapp

COPY --from=build /opt/cardsapp /opt/cardsapp
WORKDIR /app
COPY gunicorn.conf.py ./
COPY card_designs ./card_designs

USER cards
# Static instances of the variable fonts, made once at build time rather than at first use.
RUN python -c "from cardsapp.render.fonts import preload_fonts; preload_fonts()"
# 8000: the site. 9100: /metrics for Prometheus, never published (docs/operations.md).
EXPOSE 8000 9100
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "cardsapp:create_app()"]
