"""The ``onething`` console script: Django's management commands with dashed names.

``onething import-catalog FILE`` runs the ``import_catalog`` command, ``onething token create
alice`` runs ``token``, ``onething runserver`` runs ``runserver`` and so on.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
