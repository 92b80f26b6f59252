#!/usr/bin/env python
"""Django's manage.py; the installed ``onething`` command does the same with dashed names."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from onething.cli import main

if __name__ == "__main__":
    main()
