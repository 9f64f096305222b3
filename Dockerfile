# factcheck as a container image: the wheel built in one stage, installed in a slim runtime
# that holds no source tree, no compiler and no build tools.
#
#   docker build -t factcheck .          # BuildKit (Docker's default builder since 23.0)
#   docker run --rm factcheck --version
#   docker run --init -e FACTCHECK_DATABASE_URL=postgresql://... factcheck          # schedule
#   docker run --rm --init -e FACTCHECK_DATABASE_URL=... factcheck db upgrade
#
# compose.yaml runs it beside PostgreSQL; the README's "Deployment" section says more.

# -- builder: the factcheck wheel and a wheel of every dependency -------------------------------
# Both stages on one base: the wheels built here are the ones the runtime's Python takes.
FROM python:3.12-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# What a build reads (tests/integration/test_wheel.py BUILD_INPUTS), and nothing else: tests,
# benchmarks and local databases stay out of the image and out of the build cache key.
COPY pyproject.toml README.md LICENSE ./
COPY factcheck/ factcheck/
COPY migrations/ migrations/
COPY sources/ sources/
RUN pip wheel --wheel-dir /wheels .

# -- runtime: the wheels installed offline, run as an unprivileged user -------------------------
FROM python:3.12-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# A fixed uid/gid, so a bind-mounted data folder can be chowned to it and an orchestrator's
# "run as non-root" check can see it is not 0. /var/lib/factcheck holds a SQLite database when
# no FACTCHECK_DATABASE_URL is given, and report/ the static report (FACTCHECK_REPORT_DIR=/var/lib/factcheck/report/site).
RUN groupadd --system --gid 10001 factcheck \
    && useradd --system --uid 10001 --gid factcheck --no-create-home \
        --home-dir /var/lib/factcheck --shell /usr/sbin/nologin factcheck \
    && install -d -o factcheck -g factcheck -m 0750 /var/lib/factcheck \
    && install -d -o factcheck -g factcheck -m 0755 /var/lib/factcheck/report
# The wheels are mounted from the builder for this one step, so they are not a layer.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels factcheck \
    && factcheck --version
USER 10001:10001
WORKDIR /var/lib/factcheck
# The database is configuration: pass FACTCHECK_DATABASE_URL (compose.yaml points it at its
# PostgreSQL service). This default keeps a one-off `docker run` working on a SQLite file;
# mount a volume at /var/lib/factcheck to keep it.
ENV FACTCHECK_DATABASE_URL=sqlite:////var/lib/factcheck/factcheck.db
# SIGTERM stops a run cleanly: the sources in flight are recorded as interrupted. Give it time
# (`docker stop -t 90`, compose's stop_grace_period) rather than the default 10 s.
STOPSIGNAL SIGTERM
# No HEALTHCHECK here: the image also runs one-shot commands (db upgrade, import, verify)
# that no one image-wide check fits; the scheduler is a foreground process,
# so its death ends the container and the restart policy acts. compose.yaml gives the
# scheduler service its own check (`factcheck schedule status` sees a live scheduler).
LABEL org.opencontainers.image.title="factcheck" \
      org.opencontainers.image.description="A fact-checking claims database with scheduled verification" \
      org.opencontainers.image.licenses="MIT"
ENTRYPOINT ["factcheck"]
CMD ["schedule"]
