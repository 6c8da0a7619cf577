"""Time to quality: stylekit single-scale, stylekit multi-scale and pastiche on photo x painting pairs.

    python benchmarks/bench_quality.py [--sizes 256 512] [--pairs 6] [--pastiche-steps 300]
        [--every 10] [--sheet out/quality-sheet.png] [--json curves.json]
        [--variant "NAME:key=value,key=value" ...] [--no-pastiche] [--head-start]

Quality is measured by ``quality.Yardstick`` (a style distance and a content
distance that no method here optimizes), at the output size, on snapshots
taken while each method runs; the time of a snapshot counts the method's own
work only (set-up included, measuring excluded). Per size it prints, for each
method, the medians over the pairs of: the final distances, the time to a
"visibly stylized" picture (the style distance half-way from the photo's to
the method's final one) and the time to reach pastiche's final quality (both
distances no worse), as a share of pastiche's time. It writes a contact sheet
(photo | painting | each method at the time the stylekit default took).
pastiche runs with its own defaults (L-BFGS, its loss weights) in the same process.

The stylekit methods are today's defaults and the earlier single-scale
default; ``--variant`` adds others, as StyleConfig fields over the defaults
(values in JSON), e.g. ``--variant "stronger:style_weight=10"``.

``--head-start`` keeps the pairs whose painting has a shipped fast model and
runs each stylekit method a second time, from the model's output
(``init="model"``; the model applied at the output size, its time counted).
It prints, per pair, the step and second at which the head start reaches the
plain run's final quality, and the head start's final quality.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from quality import Yardstick

from stylekit.config import StyleConfig
from stylekit.engine import Controls, stylize
from stylekit.fast.apply import head_start
from stylekit.images import load_image, resize_to_longest

ASSETS = Path(__file__).resolve().parents[1] / "assets"
HEAD_START = " + head start"  # the name of a method's twin that starts from the painting's model output
PAIRS = [  # photo, painting: every example photo, varied paintings
    ("dandelion_meadow.jpg", "starry_night.jpg"),
    ("coffee.jpg", "great_wave.jpg"),
    ("cat.jpg", "composition_vii.jpg"),
    ("astronaut.jpg", "water_lilies.jpg"),
    ("dandelion_meadow.jpg", "seurat_grande_jatte_study.jpg"),
    ("coffee.jpg", "udnie.jpg"),
    ("cat.jpg", "wheat_field_with_cypresses.jpg"),
    ("astronaut.jpg", "mondrian_composition.jpg"),
]


# The stylekit methods compared by default: the defaults, and the single-scale default they replaced.
METHODS = {
    "stylekit default": {},
    "stylekit single-scale (old default)": {
        "multiscale": False, "finest_share": None, "init": "content", "content_weight": 1.0, "steps": 120,
    },
}


def parse_variant(spec: str) -> tuple[str, dict]:
    """``"NAME:key=value,key=value"`` to (NAME, overrides); values are JSON where they parse as JSON."""
    name, _, fields = spec.partition(":")
    overrides = {}
    for item in filter(None, fields.split(",")):
        key, _, value = item.partition("=")
        try:
            overrides[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key.strip()] = value.strip()
    return name.strip(), overrides


@dataclass
class Run:
    """One method on one pair: snapshots (seconds, image) and their distances."""

    method: str
    seconds: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)
    style: list[float] = field(default_factory=list)
    content: list[float] = field(default_factory=list)

    def add(self, seconds: float, image: np.ndarray, step: int = 0) -> None:
        self.seconds.append(seconds)
        self.images.append(image)
        self.steps.append(step)

    def measure(self, yardstick: Yardstick) -> None:
        for image in self.images:
            style, content = yardstick.distances(image)
            self.style.append(style)
            self.content.append(content)

    def time_to(self, style: float, content: float) -> float | None:
        """The first snapshot time at which both distances are no worse than given."""
        return next((t for t, _ in self.reached(style, content)), None)

    def reached(self, style: float, content: float) -> list[tuple[float, int]]:
        """(seconds, step) of the snapshots at which both distances are no worse than given."""
        rows = zip(self.seconds, self.steps, self.style, self.content)
        return [(t, step) for t, step, s, c in rows if s <= style and c <= content]

    def time_to_style(self, style: float) -> float | None:
        return next((t for t, s in zip(self.seconds, self.style) if s <= style), None)

    def at(self, seconds: float) -> np.ndarray:
        """The latest picture at ``seconds``."""
        index = max([i for i, t in enumerate(self.seconds) if t <= seconds] or [0])
        return self.images[index]


def run_stylekit(
    method: str, overrides: dict, photo: Path, painting: Path, size: int, every: int, model: Path | None = None
) -> Run:
    """One stylekit run; given a fast ``model``, from its output for the photo (its time counted)."""
    start_from = {"init": "model"} if model else {}
    config = StyleConfig.from_dict({**StyleConfig().to_dict(), **overrides, **start_from, "size": size, "device": "cpu"})
    controls = Controls.from_config(config)
    controls.preview_every = every
    run = Run(method + HEAD_START if model else method)
    start = time.perf_counter()
    init_image = head_start(model, photo, size, "cpu") if model else None
    for report in stylize(config, photo, [painting], controls, init_image=init_image):
        if report.preview is not None:
            run.add(time.perf_counter() - start, report.preview, report.step)
    return run


def model_of(painting: Path) -> Path | None:
    """The shipped fast model of a gallery painting, if any."""
    path = ASSETS / "models" / f"{painting.stem}.safetensors"
    return path if path.is_file() else None


def run_pastiche(photo: Path, painting: Path, size: int, steps: int, every: int) -> Run:
    from pastiche.pastiche import VGG_MEAN, PasticheArtist

    run = Run("pastiche")
    start, converting = time.perf_counter(), 0.0  # converting snapshots does not count
    artist = PasticheArtist(str(photo), [str(painting)], size=size, device="cpu")
    mean = torch.tensor(VGG_MEAN).view(3, 1, 1)
    for step in range(1, steps + 1):
        artist.draw()
        if step % every == 0 or step == steps:
            taken = time.perf_counter()
            bgr = artist.pastiche.detach()[0] + mean
            run.add(taken - start - converting, bgr[[2, 1, 0]].round().clamp(0, 255).byte().permute(1, 2, 0).numpy())
            converting += time.perf_counter() - taken
    return run


def contact_sheet(rows: list[tuple[Image.Image, Image.Image, list[tuple[str, np.ndarray]]]], height: int = 160):
    """photo | painting | each method's picture, one row per pair, labelled."""
    def fit(image: Image.Image) -> Image.Image:
        return image.resize((max(1, round(image.width * height / image.height)), height), Image.Resampling.LANCZOS)

    tiles = [[("photo", fit(p)), ("painting", fit(s))] + [(m, fit(Image.fromarray(a))) for m, a in r] for p, s, r in rows]
    width = max(sum(t.width + 6 for _, t in row) for row in tiles)
    sheet = Image.new("RGB", (width, len(tiles) * (height + 22)), "white")
    draw = ImageDraw.Draw(sheet)
    for index, row in enumerate(tiles):
        x, y = 0, index * (height + 22)
        for label, tile in row:
            sheet.paste(tile, (x, y + 18))
            draw.text((x + 2, y + 3), label, fill="black")
            x += tile.width + 6
    return sheet


def machine() -> str:
    flags = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in flags.splitlines() if line.startswith("Model name")), "?")
    avx = next((name for flag, name in (("avx512_bf16", "AVX-512 bf16"), ("avx512f", "AVX-512"), ("avx2", "AVX2"))
                if flag in flags), "no AVX2")
    return f"{model}, {avx}, {torch.get_num_threads()} threads, torch {torch.__version__}, {platform.python_version()}"


def median(values: list[float | None]) -> str:
    found = [v for v in values if v is not None]
    return f"{statistics.median(found):.3g}" if found else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--pastiche-steps", type=int, default=300)
    parser.add_argument("--variant", action="append", default=[], help="another stylekit method: NAME:key=value,...")
    parser.add_argument("--only-variants", action="store_true", help="leave out the default stylekit methods")
    parser.add_argument("--no-pastiche", action="store_true", help="leave pastiche out (quick probes)")
    parser.add_argument("--head-start", action="store_true",
                        help="pairs with a shipped model only; each stylekit method also from the model's output")
    parser.add_argument("--every", type=int, default=10, help="a snapshot every N steps")
    parser.add_argument("--sheet", type=Path, default=Path("out/quality-sheet.png"), help="contact sheet (largest size)")
    parser.add_argument("--json", help="write every curve here")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    methods = {} if args.only_variants else dict(METHODS)
    methods.update(parse_variant(spec) for spec in args.variant)
    pairs = [(ASSETS / "content" / p, ASSETS / "paintings" / s) for p, s in PAIRS[: args.pairs]]
    if args.head_start:
        pairs = [(photo, painting) for photo, painting in pairs if model_of(painting)]
    stylize(StyleConfig(size=32, steps=1, device="cpu"), pairs[0][0], [pairs[0][1]])  # weights decoded once
    curves, sheet_rows = [], []
    for size in args.sizes:
        runs_by_method: dict[str, list[Run]] = {}
        for photo, painting in pairs:
            yardstick = Yardstick(load_image(photo), load_image(painting), size)
            photo_style, _ = yardstick.distances(np.asarray(resize_to_longest(load_image(photo), size)))
            runs = [run_stylekit(name, fields, photo, painting, size, args.every) for name, fields in methods.items()]
            if args.head_start:
                model = model_of(painting)
                runs += [run_stylekit(name, fields, photo, painting, size, args.every, model)
                         for name, fields in methods.items()]
            if not args.no_pastiche:
                runs.append(run_pastiche(photo, painting, size, args.pastiche_steps, args.every))
            for run in runs:
                run.measure(yardstick)
                run.photo_style = photo_style
                run.pair = f"{photo.stem} x {painting.stem}"
                runs_by_method.setdefault(run.method, []).append(run)
                curves.append({"size": size, "pair": [photo.name, painting.name], "method": run.method,
                               "seconds": run.seconds, "steps": run.steps, "style": run.style,
                               "content": run.content})
            if size == max(args.sizes):
                equal_time = runs[0].seconds[-1]
                sheet_rows.append((load_image(photo), load_image(painting),
                                   [(f"{r.method} @ {equal_time:.0f} s", r.at(equal_time)) for r in runs]))
            print(f"  {size} px {photo.name} x {painting.name}: " + ", ".join(
                f"{r.method} {r.seconds[-1]:.1f} s style {r.style[-1]:.3g} content {r.content[-1]:.3g}" for r in runs))
        report(size, runs_by_method)
        if args.head_start:
            report_head_start(size, runs_by_method)
    if args.json:
        Path(args.json).write_text(json.dumps(curves))
    args.sheet.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(sheet_rows).save(args.sheet)
    print(f"contact sheet: {args.sheet}")


def report(size: int, runs_by_method: dict[str, list[Run]]) -> None:
    pastiche = runs_by_method.get("pastiche")
    print(f"\n{size} px, medians over {len(next(iter(runs_by_method.values())))} pairs")
    print("| method | seconds | style | content | visibly stylized at (s) | reaches pastiche's final quality "
          "(share of pastiche's time) | pairs that reach it |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for method, runs in runs_by_method.items():
        visible = [r.time_to_style((r.photo_style + r.style[-1]) / 2) for r in runs]
        reach = [r.time_to(p.style[-1], p.content[-1]) for r, p in zip(runs, pastiche or [])]
        shares = [t / p.seconds[-1] if t is not None else None for t, p in zip(reach, pastiche or [])]
        print(f"| {method} | {median([r.seconds[-1] for r in runs])} | {median([r.style[-1] for r in runs])} | "
              f"{median([r.content[-1] for r in runs])} | {median(visible)} | {median(shares)} | "
              f"{sum(s is not None for s in shares)}/{len(runs)} |")


def report_head_start(size: int, runs_by_method: dict[str, list[Run]]) -> None:
    """Per pair: the steps and seconds a head start takes to reach the plain run's final quality."""
    print(f"\n{size} px, head start from the painting's model vs the method's own start")
    print("| method | pair | own start: steps, s, style, content | head start reaches it at: step, s | "
          "head start at equal steps: style, content |")
    print("| --- | --- | --- | --- | --- |")
    for method, plain_runs in runs_by_method.items():
        for plain, fast in zip(plain_runs, runs_by_method.get(method + HEAD_START, [])):
            reached = fast.reached(plain.style[-1], plain.content[-1])
            at = f"{reached[0][1]}, {reached[0][0]:.1f}" if reached else "not reached"
            print(f"| {method} | {plain.pair} | {plain.steps[-1]}, {plain.seconds[-1]:.1f}, {plain.style[-1]:.3g}, "
                  f"{plain.content[-1]:.3g} | {at} | {fast.style[-1]:.3g}, {fast.content[-1]:.3g} |")


if __name__ == "__main__":
    main()
