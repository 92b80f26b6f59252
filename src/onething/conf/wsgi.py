"""WSGI entry point (gunicorn onething.conf.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
application = get_wsgi_application()
