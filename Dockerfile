# teamop: the operator, and (with `teamop flightdeck serve`) the Flightdeck landing page.
# Build: docker build -t ghcr.io/posit-dev/teamop:dev .
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m build --wheel --outdir /dist

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --uid 65532 --no-create-home --shell /usr/sbin/nologin teamop
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl
USER 65532:65532
EXPOSE 8080 8081
# No default command: the operator's Deployment passes `run`; with SITE_NAME set and no arguments the image serves
# the Flightdeck landing page, so it can stand in for the reference's ptd-flightdeck image.
ENTRYPOINT ["teamop"]
