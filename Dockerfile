# The service image. It installs exactly as `make serve` / `make test` do (the Makefile's venv
# target), so what CI tests is what runs here.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN make .venv/.installed PYTHON=python3.11

ENV PATH=/app/.venv/bin:$PATH \
    FHIR_SERVICE_DATABASE_URL=sqlite:///var/fhir.sqlite
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/fhir/metadata', timeout=4)"

# granian serves; on SIGTERM (docker stop) in-flight requests finish, up to 30 s: give the container
# that long (docker stop -t 40; compose sets stop_grace_period). Migrations run on start; an empty
# store is seeded from fixtures/. --insecure allows the default
# FHIR_SERVICE_AUTH=none on 0.0.0.0: publish the port on loopback only, or set FHIR_SERVICE_AUTH.
CMD ["fhir-service", "serve", "--host", "0.0.0.0", "--insecure", "--port", "8080", "--seed", "fixtures"]
