"""Tiled refinement: the same objective as a whole-image run, no seams, memory that follows the tile.

Real weights and real assets at small sizes, with tiles forced far smaller
than any default, so that a few tiles and their seams fit in a small image.
"""

import itertools
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from stylekit.config import StyleConfig
from stylekit.controls import Controls
from stylekit.engine import stylize
from stylekit.estimate import Estimate
from stylekit.inputs import RunInputs, load_inputs
from stylekit.objective import Features, build_scale, tiled_objective
from stylekit.vgg import load_backbone
from stylekit.estimate import megapixel_steps
from stylekit.progress import Outcome
from stylekit.tiles import spans, tile_grid

ASSETS = Path(__file__).resolve().parent.parent / "assets"
PHOTO = ASSETS / "content" / "astronaut.jpg"
SWIRLS = ASSETS / "paintings" / "starry_night.jpg"
BLOCKS = ASSETS / "paintings" / "mondrian_composition.jpg"
HALVES = [{"colour": "#ff0000", "style": 0}, {"colour": "#0000ff", "style": 1}]


def config(size: int, tile: int | None, **overrides) -> StyleConfig:
    return StyleConfig(size=size, steps=overrides.pop("steps", 1), multiscale=False, tile_size=tile, device="cpu",
                       **overrides)


def halves_map(width: int, height: int) -> np.ndarray:
    region_map = np.zeros((height, width, 3), np.uint8)
    region_map[:, : width // 2] = (255, 0, 0)
    region_map[:, width // 2 :] = (0, 0, 255)
    return region_map


# ----- the layout ---------------------------------------------------------------
@pytest.mark.parametrize("length", [64, 100, 257, 272, 500, 1000, 3072, 4096])
@pytest.mark.parametrize("tile", [64, 256, 1024])
def test_tile_weights_sum_to_one_everywhere_and_starts_sit_on_the_feature_grid(length, tile):
    covered = torch.zeros(length)
    found = spans(length, tile, 16)
    for span in found:
        covered[span.start : span.stop] += span.weights
        assert span.start % 16 == 0 and span.stop - span.start <= tile + 16
    assert torch.allclose(covered, torch.ones(length), atol=1e-6)
    assert all(a.stop > b.start for a, b in itertools.pairwise(found))  # neighbours overlap: no hard border


def test_a_tile_smaller_than_the_network_needs_is_refused():
    with pytest.raises(ValueError, match="at least 64"):
        tile_grid(300, 300, 48, 16)


# ----- the objective --------------------------------------------------------------
def prepare(cfg: StyleConfig, styles, region_map=None) -> tuple[RunInputs, Features]:
    inputs = load_inputs(cfg, PHOTO, styles, region_map=region_map)
    return inputs, Features(load_backbone(cfg.backbone, cfg.pooling, "cpu"), inputs.device, False)


def evaluate(run: tuple[RunInputs, Features], tile: int | None, size: int, seed: int = 0):
    """Loss terms and gradient of one evaluation on the photo plus noise, tiled or not."""
    inputs, features = run
    scale = build_scale(inputs, features, next(s for s in inputs.plan.scales if s.longest == size))
    if tile is not None and scale.objective.passes == 0:  # one tile over everything: the tiled code on the whole image
        h, w = scale.content.shape[-2:]
        targets = scale.objective.targets
        scale.objective = tiled_objective(inputs, features, scale, targets, tile_grid(h, w, max(h, w), inputs.plan.min_side))
    generator = torch.Generator().manual_seed(seed)
    image = (scale.content + 0.1 * torch.randn(scale.content.shape, generator=generator)).clamp(0, 1)
    image.requires_grad_(True)
    evaluation = scale.objective.evaluate(image, Controls.from_config(inputs.config).weights(inputs.styled))
    reports = []
    while True:
        try:
            reports.append((next(evaluation), scale.objective.passes))
        except StopIteration as finished:
            terms = finished.value.values()
            break
    numbers = [terms.content, sum(terms.styles), terms.tv, terms.total, terms.content, *terms.styles, terms.tv]
    return [float(v) for v in numbers], image.grad.clone(), reports


@pytest.mark.parametrize("regions", [False, True], ids=["plain", "regions"])
def test_one_tile_gives_exactly_the_whole_image_loss_and_gradient(regions):
    size = 96
    extra = {"regions": HALVES} if regions else {}
    styles = [SWIRLS, BLOCKS] if regions else [SWIRLS]
    run = prepare(config(size, None, **extra), styles, halves_map(96, 96) if regions else None)
    whole, whole_grad, _ = evaluate(run, None, size)
    tiled, tiled_grad, reports = evaluate(run, size, size)
    assert reports == [(1, 2), (2, 2)]  # a report per pass over the one tile
    assert tiled == pytest.approx(whole, rel=2e-3)
    assert torch.allclose(tiled_grad, whole_grad, rtol=1e-2, atol=1e-3 * whole_grad.abs().max())


def test_many_small_tiles_keep_the_loss_and_the_direction_of_the_gradient():
    size = 256
    whole, whole_grad, _ = evaluate(prepare(config(size, None), [SWIRLS]), None, size)
    run = prepare(config(size, 128), [SWIRLS])
    tiled, tiled_grad, reports = evaluate(run, 128, size)
    assert len(reports) == 2 * 9  # 3 x 3 tiles of 128 px, two passes
    assert tiled[:4] == pytest.approx(whole[:4], rel=0.08)  # content, style, smoothness, total (style: 5.5% apart)
    cosine = torch.nn.functional.cosine_similarity(tiled_grad.flatten(), whole_grad.flatten(), dim=0)
    assert cosine > 0.93  # measured 0.95 with 16 px overlaps; a tile that saw only itself scores far lower


# ----- whole runs -------------------------------------------------------------------
def result(cfg: StyleConfig, controls=None, **kwargs):
    return list(stylize(cfg, PHOTO, [SWIRLS], controls, **kwargs))


def test_tiled_and_whole_image_runs_of_the_same_image_agree_closely():
    whole = result(config(160, None, steps=12))[-1].result.astype(float)
    tiled = result(config(160, 96, steps=12))[-1].result.astype(float)
    start = result(config(160, None, steps=1))[-1].result.astype(float)
    moved = np.abs(whole - start).mean()
    apart = np.abs(tiled - whole).mean()
    assert apart < 0.4 * moved, (apart, moved)  # the runs differ far less than either moved


def gradient_energy(image: np.ndarray) -> np.ndarray:
    grey = image.astype(float).mean(axis=2)
    return np.abs(np.diff(grey, axis=1))[:-1] + np.abs(np.diff(grey, axis=0))[:, :-1]


def border_ratio(image: np.ndarray, lines: list[int]) -> float:
    """Mean gradient energy on the rows and columns ``lines`` (and the ones before them) over that elsewhere."""
    energy = gradient_energy(image)
    near = np.zeros(energy.shape, bool)
    for line in lines:
        near[max(0, line - 1) : line + 1, :] = near[:, max(0, line - 1) : line + 1] = True
    return energy[near].mean() / energy[~near].mean()


def test_no_seams_the_image_is_no_busier_along_tile_borders_than_elsewhere():
    size, tile = 224, 96  # the photo is square: the same spans down and across
    tiled = result(config(size, tile, steps=10))[-1].result
    whole = result(config(size, None, steps=10))[-1].result
    found = spans(size, tile, 16)
    lines = sorted({s.start for s in found[1:]} | {s.stop for s in found[:-1]})  # where each tile's crop ends
    tiled_ratio, whole_ratio = border_ratio(tiled, lines), border_ratio(whole, lines)
    assert tiled_ratio < max(1.1, 1.1 * whole_ratio), (tiled_ratio, whole_ratio)


def test_tile_reports_come_between_steps_and_a_stop_keeps_the_last_step():
    frames = result(config(160, 96, steps=2))
    passes = [f for f in frames if f.tiles_total]
    assert [f.tiles_done for f in passes] == list(range(1, 9)) * 2 and all(f.tiles_total == 8 for f in passes)
    assert [f.step for f in frames if not f.tiles_total][:-1] == [1, 2] and frames[-1].outcome is Outcome.FINISHED
    assert all(f.preview is None for f in passes) and passes[0].eta_seconds > passes[-1].eta_seconds
    controls = Controls.from_config(config(160, 96, steps=3))
    stopped = []
    for frame in stylize(config(160, 96, steps=3), PHOTO, [SWIRLS], controls):
        stopped.append(frame)
        if frame.step == 1 and frame.tiles_done == 3:
            controls.request_stop()
    final = stopped[-1]
    assert final.outcome is Outcome.STOPPED and final.step == 1
    assert final.message.startswith("stopped during step 2 of 3; kept the image of step 1")
    assert final.result.shape[:2] == (160, 160)


def test_tiles_work_with_regions_and_keep_colours():
    region_map = halves_map(160, 160)
    final = list(stylize(config(160, 96, steps=3, regions=HALVES, keep_colors="luminance"), PHOTO,
                         [SWIRLS, BLOCKS], region_map=region_map))[-1]
    assert final.outcome is Outcome.FINISHED and final.result.shape == (160, 160, 3)
    assert final.region_map is not None


def test_the_estimate_counts_the_tiles_overlaps_and_extra_pass():
    plain = megapixel_steps(config(512, None, steps=10), (400, 300))
    tiled = megapixel_steps(config(512, 128, steps=10), (400, 300))
    assert 1.4 < tiled / plain < 3


# ----- memory -------------------------------------------------------------------------
class PeakResident:
    """The highest resident memory of this process while in the block, above what it was on entry, in MB."""

    def __enter__(self):
        self.base = self.peak = self._now()
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.growth = (self.peak - self.base) / 2**20

    def _watch(self):
        while self.running:
            self.peak = max(self.peak, self._now())
            time.sleep(0.002)

    @staticmethod
    def _now() -> int:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * 4096


def test_a_tiled_run_of_four_times_the_pixels_peaks_lower_than_a_whole_image_run():
    result(config(64, None))  # weights loaded and warm
    with PeakResident() as tiled:
        result(config(768, 128, steps=2))
    with PeakResident() as whole:
        result(config(384, None, steps=2))
    assert tiled.growth < 0.75 * whole.growth, (tiled.growth, whole.growth)


def test_the_command_line_says_how_long_a_big_run_will_take_before_it_starts(monkeypatch, capsys):
    from stylekit.cli import stylize as command

    monkeypatch.setattr(command, "estimate_run", lambda config, size: Estimate(900.0, 900.0))
    command._announce(config(4096, None, steps=20), str(PHOTO))
    assert "this run will take about 15 min here; Ctrl-C stops it" in capsys.readouterr().err
    command._announce(config(256, None, steps=20), str(PHOTO))  # a small one starts without a word
    assert capsys.readouterr().err == ""
