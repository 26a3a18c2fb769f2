# syntax=docker/dockerfile:1
# One image for every ecoc process:
#   docker run IMAGE run <approvals|vehicles|validation|signing|audit|webhooks|rollout|delivery|gateway>
#   docker run IMAGE migrate
#   docker run IMAGE probe <name>
# Not shipped: the IVI 2.0 schema (mount it at /etc/ecoc/ivi), seal keys (/etc/ecoc/keys) and the audit
# checkpoint key (/etc/ecoc/audit-key).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a self-contained virtualenv in /opt/ecoc -------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/ecoc
WORKDIR /src
# Dependencies first (pinned in pyproject.toml), so a source change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && /opt/ecoc/bin/pip install --requirement /tmp/requirements.txt
COPY . .
RUN /opt/ecoc/bin/pip install --no-deps . \
    && test -x /opt/ecoc/bin/ecoc

# --- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="ecoc" \
      org.opencontainers.image.description="EU electronic Certificates of Conformity (IVI 2.0): approvals, vehicles, validation, signing, audit, webhooks, rollout, delivery, gateway" \
      org.opencontainers.image.licenses="Apache-2.0"
# pg_dump / pg_restore of the PostgreSQL server's major version, for `ecoc backup` and `ecoc restore`;
# the DejaVu fonts the paper CoC embeds (services/signing/paper/render.py)
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client-15 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ecoc \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/ecoc --create-home \
        --shell /usr/sbin/nologin ecoc \
    && install -d -o 10001 -g 10001 -m 0750 /etc/ecoc /etc/ecoc/keys /etc/ecoc/audit-key \
        /etc/ecoc/nap \
    && install -d -o root -g root -m 0755 /etc/ecoc/ivi
COPY --from=build /opt/ecoc /opt/ecoc
ENV PATH=/opt/ecoc/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PSYCOPG_WAIT_FUNC=wait_selector \
    ECOC_GATEWAY_HOST=0.0.0.0 \
    ECOC_GATEWAY_PORT=8000 \
    ECOC_IVI_SCHEMA=/etc/ecoc/ivi/IVI2.0.xsd \
    ECOC_IVI111_SCHEMA=/etc/ecoc/ivi/ivi1.11/version-111-initialvehicleinformation.xsd \
    ECOC_KEYS_DIR=/etc/ecoc/keys \
    ECOC_AUDIT_KEYS_DIR=/etc/ecoc/audit-key \
    ECOC_DELIVERY_CREDENTIALS_DIR=/etc/ecoc/nap \
    ECOC_LOCAL_MODE=0
USER 10001:10001
WORKDIR /home/ecoc
EXPOSE 8000
# `ecoc run` execs into nameko's runner, so SIGTERM reaches it and it stops gracefully.
# No HEALTHCHECK here: it depends on the service (compose and Kubernetes set `ecoc probe <name>`).
STOPSIGNAL SIGTERM
ENTRYPOINT ["ecoc"]
CMD ["run", "gateway"]
