FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The whole build context, less what .dockerignore keeps out (the venv, var/, git, local builds,
# the tests and benchmarks): a package added later cannot be left out of the image.
COPY . .
# The static files (the admin's, the dashboard's stylesheets) are collected into var/static at
# build time, where WhiteNoise serves them from; an embedded settings import is enough for that.
RUN pip install --no-cache-dir . \
    && ENVIRONMENT=embedded python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --create-home clinic && mkdir -p var && chown -R clinic var
USER clinic
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
