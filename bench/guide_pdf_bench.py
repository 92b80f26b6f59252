"""Benchmark: generating the PDF guide of each demo bundle (WeasyPrint, CJK font, QR, SVG).

Loads the demo catalog into a throw-away SQLite database and times ``GET
/api/v1/catalog/bundles/{code}/guide.pdf`` for every demo bundle (each bundle's maximal plan
answers), reporting the median per bundle and overall.

Run:  .venv/bin/python bench/guide_pdf_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
os.environ.setdefault("ONETHING_VAR_DIR", tempfile.mkdtemp(prefix="onething-bench-"))


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from onething.catalog.plans import bundles_overview
    from onething.guides.content import answers_query

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=_Null())
    client = Client()
    all_samples = []
    for row in bundles_overview():
        url = f"/api/v1/catalog/bundles/{row['code']}/guide.pdf?{answers_query(row['answers'])}"
        client.get(url)  # warm-up (fonts, templates)
        samples = []
        size = 0
        for _ in range(args.runs):
            t = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
            size = len(response.content)
        all_samples += samples
        print(
            f"{row['code']:<22} {row['name']:<14} median {statistics.median(samples):7.0f} ms  {size / 1024:6.0f} KiB"
        )
    print(
        f"all demo bundles: median {statistics.median(all_samples):.0f} ms per guide PDF "
        f"(min {min(all_samples):.0f}, max {max(all_samples):.0f})"
    )


if __name__ == "__main__":
    main()
