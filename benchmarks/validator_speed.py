"""Validator speed on large diagrams: the bound on its work, whatever a file under 2 MB asks.

    .venv/bin/python benchmarks/validator_speed.py [--repeat 3]

Prints, for each generated diagram (tests/security/big_diagrams.py), its size, its flow-node count
and the best-of-N seconds of ``validate_bpmn``: a 10,000-step chain and a 6,000-branch parallel split
(both beyond the size bound, refused from the raw tree), and a chain of 198 steps each followed by a
decision with a condition (398 nodes, just within the bound: every check runs, each condition is
traced upstream), the costliest shape the validator accepts to check in full.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.validation import AgencyRef, validate_bpmn  # noqa: E402
from tests.security.big_diagrams import chain, decisions, wide  # noqa: E402

CASES = {"chain of 10,000 steps": lambda: chain(10_000), "parallel split into 6,000": lambda: wide(6_000),
         "198 steps with a decision each": lambda: decisions(198), "chain of 390 steps": lambda: chain(390)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    agencies = [AgencyRef("CA", "Công an")]
    print(f"{'diagram':34} {'bytes':>10} {'problems':>9} {'seconds':>8}")
    for name, build in CASES.items():
        data = build()
        best, problems = float("inf"), []
        for _ in range(args.repeat):
            started = time.perf_counter()
            problems = validate_bpmn(data, agencies)
            best = min(best, time.perf_counter() - started)
        print(f"{name:34} {len(data):>10,} {len(problems):>9} {best:>8.3f}")


if __name__ == "__main__":
    main()
