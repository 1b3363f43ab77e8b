"""Run every benchmark under bench/ and print one table: figure, value, baseline, ratio.

    .venv/bin/python bench/run.py            # all of them
    .venv/bin/python bench/run.py feeds tts  # some of them

Each benchmark is a script that prints `BENCH {json}` lines through bench.common.report; it runs
in its own process so one's memory or failure does not affect another's figures.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run.py", "common.py", "__init__.py"}


def main(names: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in SKIP)
    if names:
        scripts = [p for p in scripts if p.stem in names]
    rows, failed = [], []
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        start = time.monotonic()
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        proc = subprocess.run(
            [sys.executable, str(script)], cwd=HERE.parent, env=env, capture_output=True, text=True
        )
        for line in proc.stdout.splitlines():
            if line.startswith("BENCH "):
                rows.append({"bench": script.stem, **json.loads(line[6:])})
            else:
                print("   " + line, flush=True)  # figures a benchmark prints in its own words
        if proc.returncode != 0:
            failed.append(script.stem)
            print(proc.stderr[-3000:], file=sys.stderr)
        print(f"   {time.monotonic() - start:.0f} s", flush=True)
    width = max([len(r["figure"]) for r in rows] + [10])
    print()
    print(
        f"{'bench':<10} {'figure':<{width}} {'value':>12} {'unit':<8} {'baseline':>12} {'ratio':>8}"
    )
    for r in rows:
        baseline = f"{r['baseline']:.4g}" if r["baseline"] is not None else "—"
        ratio = f"{r['ratio']:.3f}" if r["ratio"] is not None else "—"
        print(
            f"{r['bench']:<10} {r['figure']:<{width}} {r['value']:>12.4g} {r['unit']:<8} "
            f"{baseline:>12} {ratio:>8}"
        )
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
