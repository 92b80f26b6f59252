"""Fail when a domain module's line coverage drops below its floor (quality gate)."""

import json
import sys

FLOOR = 90.0
DOMAIN_MODULES = [
    "src/onething/kernel/codes.py",
    "src/onething/kernel/workdays.py",
    "src/onething/kernel/jsonlogic.py",
    "src/onething/kernel/hashchain.py",
    "src/onething/calendar/service.py",
    "src/onething/catalog/validation.py",
    "src/onething/catalog/exchange.py",
    "src/onething/catalog/planner.py",
    "src/onething/kernel/machine.py",
    "src/onething/kernel/workhours.py",
    "src/onething/workflow/engine.py",
    "src/onething/clocks/service.py",
    "src/onething/clocks/scan.py",
    "src/onething/cases/machines.py",
    "src/onething/cases/lifecycle/base.py",
    "src/onething/cases/lifecycle/intake_decisions.py",
    "src/onething/cases/lifecycle/correction.py",
    "src/onething/cases/lifecycle/review.py",
    "src/onething/cases/lifecycle/special.py",
    "src/onething/cases/lifecycle/extensions.py",
    "src/onething/cases/lifecycle/inspections.py",
    "src/onething/cases/lifecycle/post_checks.py",
    "src/onething/cases/lifecycle/delivery.py",
    "src/onething/cases/lifecycle/gaps.py",
    "src/onething/cases/deadlines.py",
    "src/onething/kernel/queueing.py",
    "src/onething/halls/machines.py",
    "src/onething/halls/offer.py",
    "src/onething/halls/booking.py",
    "src/onething/halls/figures.py",
]


def main(path: str) -> int:
    with open(path) as fh:
        files = json.load(fh)["files"]
    failed = []
    for module in DOMAIN_MODULES:
        entry = files.get(module)
        if entry is None:
            print(f"coverage: {module} 未被测量（模块不存在或未被导入）")
            failed.append(module)
            continue
        percent = entry["summary"]["percent_covered"]
        mark = "ok" if percent >= FLOOR else "低于下限"
        print(f"coverage: {module} {percent:.1f}% {mark}")
        if percent < FLOOR:
            failed.append(module)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
