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
# Pillow's Raqm layout loads FriBiDi at run time: with it, the preview places glyphs exactly
# as the PDF does.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfribidi0 tini \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/cards --uid 10001 cards \
    && mkdir -p /var/lib/cardsapp/batches && chown -R cards /var/lib/cardsapp

WORKDIR /app
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY cardsapp ./cardsapp
COPY worker ./worker
COPY card_designs ./card_designs
# Catalogues are compiled before the install so that the .mo files ship with the package.
RUN pip install "babel>=2.14,<3" \
    && pybabel compile -f -d cardsapp/translations \
    && pip install .

USER cards
# Static instances of the variable fonts, made once at build time rather than at first use.
RUN python -c "from cardsapp.render.fonts import preload_fonts; preload_fonts()"
EXPOSE 8000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "cardsapp:create_app()"]
