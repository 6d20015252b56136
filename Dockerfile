FROM python:3.12-slim
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
COPY migrations ./migrations
COPY alembic.ini schema.graphql ./
RUN uv sync --frozen --no-dev
ENV BOOKWELL_HOST=0.0.0.0 BOOKWELL_DATA_DIR=/data
EXPOSE 8000
CMD ["uv", "run", "--no-dev", "bookwell", "serve"]
