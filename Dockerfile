# One image for web and worker: `gunicorn 'cardsapp:create_app()'` or `python -m worker`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CARDS_ENV=production \
    CARDS_INSTANCE_PATH=/var/lib/cardsapp \
    CARDS_DATA_DIR=/var/lib/cardsapp/batches \
    CARDS_DESIGNS_DIR=/app/card_designs

# Pillow and psycopg wheels bundle their libraries; fonts come from pinned PyPI packages.
# libjpeg and zlib runtime libraries are enough for ReportLab's accelerator.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libjpeg62-turbo zlib1g tini \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/cards --uid 10001 cards \
    && mkdir -p /var/lib/cardsapp/batches && chown -R cards /var/lib/cardsapp

WORKDIR /app
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY cardsapp ./cardsapp
COPY worker ./worker
COPY card_designs ./card_designs
RUN pip install . \
    && pybabel compile -f -d cardsapp/translations || true

USER cards
EXPOSE 8000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "cardsapp:create_app()"]
