"""When is the picture done? Per-step change of the displayed image against the quality yardstick.

    python benchmarks/bench_settle.py [--size 384] [--steps 120] [--pairs 6] [--json settle.json]

Runs the default settings without an early stop on photo x painting pairs and,
at every step of the finest scale, records the mean absolute change of the
displayed picture since the previous step (0..255 levels). Candidate stopping
rules are replayed on those records (stop once the change has stayed under
THRESHOLD levels for WINDOW steps), and the yardstick's style and content
distances (``quality.Yardstick``: measures no method here optimizes) are taken
at each step where a rule stops and at the last. For each rule it prints the
median and latest step it stops at and how much worse the distances are there
than at the full budget (median, worst). The engine's rule
(``stylekit.settle``) was chosen from this table (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from pathlib import Path

import numpy as np
from bench_quality import PAIRS  # every example photo, varied paintings
from quality import Yardstick

from stylekit.config import StyleConfig
from stylekit.engine import stylize
from stylekit.images import load_image

ASSETS = Path(__file__).resolve().parents[1] / "assets"
THRESHOLDS = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)
WINDOWS = (3, 5, 8)


def record(photo: Path, painting: Path, size: int, steps: int) -> dict:
    """Per finest-scale step: the step number and the picture's change since the last step; the yardstick's
    distances at the steps where some rule would stop, and at the last (measuring every step costs more
    than the run)."""
    config = StyleConfig(size=size, steps=steps, early_stop=False)
    rows, pictures, previous = [], [], None
    for report in stylize(config, photo, [painting]):
        if report.done or report.preview is None or report.scale_index != report.num_scales - 1:
            continue
        picture = report.preview.astype(np.float64)
        change = float(np.abs(picture - previous).mean()) if previous is not None else float("nan")
        previous = picture
        rows.append({"step": report.step, "change": change})
        pictures.append(report.preview)
    yardstick = Yardstick(load_image(photo), load_image(painting), size)
    wanted = {stop_step(rows, t, w) for t in THRESHOLDS for w in WINDOWS} | {len(rows) - 1}
    for index in sorted(wanted):
        rows[index]["style"], rows[index]["content"] = yardstick.distances(pictures[index])
    return {"pair": [photo.name, painting.name], "rows": rows}


def stop_step(rows: list[dict], threshold: float, window: int) -> int:
    """The index of the row at which the rule stops (the last one if it never does)."""
    quiet = 0
    for index, row in enumerate(rows):
        quiet = quiet + 1 if row["change"] < threshold else 0
        if quiet >= window:
            return index
    return len(rows) - 1


def report_rules(records: list[dict]) -> None:
    print("| threshold (levels) | window | stop step, median | worst | style worse, median | worst | "
          "content worse, median | worst |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for threshold in THRESHOLDS:
        for window in WINDOWS:
            stops, style, content = [], [], []
            for run in records:
                rows = run["rows"]
                at = rows[stop_step(rows, threshold, window)]
                stops.append(at["step"])
                style.append(at["style"] / rows[-1]["style"] - 1)
                content.append(at["content"] / rows[-1]["content"] - 1)
            print(f"| {threshold} | {window} | {statistics.median(stops):.0f} | {max(stops)} | "
                  f"{100 * statistics.median(style):+.1f}% | {100 * max(style):+.1f}% | "
                  f"{100 * statistics.median(content):+.1f}% | {100 * max(content):+.1f}% |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--json", type=Path, help="write the records here")
    parser.add_argument("--load", type=Path, help="records written before: replay the rules on them, and "
                        "record only the pairs they lack")
    args = parser.parse_args()
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")), "?")
    flags = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in lscpu]
    print(f"machine: {model}; {', '.join(flags)}")
    records = json.loads(args.load.read_text()) if args.load else []
    done = {tuple(run["pair"]) for run in records}
    for photo, painting in PAIRS[: args.pairs]:
        if (photo, painting) in done:
            continue
        records.append(record(ASSETS / "content" / photo, ASSETS / "paintings" / painting, args.size, args.steps))
        rows = records[-1]["rows"]
        print(f"{photo} x {painting}: {len(rows)} finest steps, final style {rows[-1]['style']:.4f} "
              f"content {rows[-1]['content']:.4f}", flush=True)
        if args.json:
            args.json.write_text(json.dumps(records))
    report_rules(records)


if __name__ == "__main__":
    main()
