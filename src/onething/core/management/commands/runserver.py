"""``runserver`` — what ``make run`` serves with — with a listen backlog fit for bursts.

Django's development server listens with a backlog of 10 (``WSGIServer.request_queue_size``):
a burst of more concurrent connections than that, on a busy CPU, overflows the kernel's
accept queue, and the dropped SYNs are resent after 1, 3, 7 … 63 s — after about two minutes
the client gives up (``ETIMEDOUT``), although the server had threads and pooled database
connections to spare. The embedded mode serves real offices with this server, so it listens
with a backlog of :data:`BACKLOG` (the kernel caps it at ``net.core.somaxconn``). Everything
else is the static-files ``runserver`` (which this app's command replaces, being listed
before ``django.contrib.staticfiles``).
"""

from __future__ import annotations

from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver
from django.core.servers.basehttp import WSGIServer

#: connections the kernel queues for ``accept`` while every server thread is busy starting
BACKLOG = 1024


class BurstWSGIServer(WSGIServer):
    request_queue_size = BACKLOG


class Command(StaticfilesRunserver):
    server_cls = BurstWSGIServer
