FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY config ./config
COPY core ./core
COPY clinic ./clinic
COPY scheduling ./scheduling
COPY notifications ./notifications
COPY api ./api
COPY web ./web
COPY manage.py ./
RUN pip install --no-cache-dir . && useradd --create-home clinic && mkdir -p var && chown clinic var
USER clinic
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
