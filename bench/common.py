"""What every benchmark shares: one way to report a figure, read by bench/run.py."""

import json
import statistics
import time


def report(figure: str, value: float, unit: str, baseline: float | None = None, note: str = ""):
    """Print one figure (and its baseline, when it has one) as a human line and a BENCH line."""
    ratio = (value / baseline) if baseline else None
    human = f"{figure}: {value:.4g} {unit}"
    if baseline is not None:
        human += f" (baseline {baseline:.4g} {unit}, ratio {ratio:.3f})"
    if note:
        human += f" — {note}"
    print(human, flush=True)
    row = {
        "figure": figure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "ratio": ratio,
        "note": note,
    }
    print("BENCH " + json.dumps(row, ensure_ascii=False), flush=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return (p50, p95) of a list of durations."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def timed(fn, repeat: int) -> list[float]:
    """Call fn repeat times and return the durations in milliseconds."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out
