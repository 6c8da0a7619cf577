"""The command line, end to end in a subprocess (bad input: test_cli_bad_input.py)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from PIL import Image

from stylekit.export import read_settings
from stylekit.fast.checkpoint import save_checkpoint
from stylekit.fast.network import TransformerNet

ROOT = Path(__file__).resolve().parent.parent
CONTENT = str(ROOT / "assets" / "content" / "coffee.jpg")
STYLE = str(ROOT / "assets" / "paintings" / "great_wave.jpg")


def stylekit(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "stylekit", *args],
        capture_output=True, text=True, cwd=cwd or ROOT, timeout=300, env=env,
    )


def test_stylize_writes_png_with_settings_gif_and_json_summary(tmp_path):
    out, gif = tmp_path / "out.png", tmp_path / "progress.gif"
    result = stylekit(
        "stylize", CONTENT, STYLE, "-o", str(out), "--size", "48", "--steps", "4", "--no-multiscale",
        "--gif", str(gif), "--gif-every", "2", "--style-weight", "20", "--seed", "3", "--json",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["steps"] == 4 and summary["size"] == [48, 32]
    assert summary["losses"]["total"] > 0
    settings = read_settings(out)
    assert settings["style_weight"] == 20 and settings["steps"] == 4 and settings["seed"] == 3
    assert iio.imread(out).shape == (32, 48, 3)
    assert iio.imread(gif, index=None).shape[0] == 2


def test_progress_bar_goes_to_stderr(tmp_path):
    result = stylekit("stylize", CONTENT, STYLE, "-o", str(tmp_path / "o.png"), "--size", "32", "--steps", "2")
    assert result.returncode == 0, result.stderr
    assert "2/2" in result.stderr and "wrote" in result.stdout


def test_list_layers():
    result = stylekit("stylize", "--list-layers")
    assert result.returncode == 0 and "relu4_2" in result.stdout.split()


def interrupted_stylize(out: Path, size: int, shown: bytes, timeout: float) -> tuple[int, str, str]:
    """``stylekit stylize`` of 1000 steps at ``size``, sent one Ctrl-C once its progress shows ``shown``:
    (exit code, stdout, stderr)."""
    command = [sys.executable, "-m", "stylekit", "stylize", CONTENT, STYLE, "-o", str(out), "--size", str(size)]
    process = subprocess.Popen([*command, "--steps", "1000"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    while shown not in seen:
        chunk = os.read(process.stderr.fileno(), 4096)
        assert chunk, "the run ended before its progress bar showed"
        seen += chunk
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout.decode(), (seen + stderr).decode()


def test_ctrl_c_stops_after_the_step_and_keeps_the_latest_image(tmp_path):
    out = tmp_path / "o.png"
    returncode, stdout, stderr = interrupted_stylize(out, 32, b"/1000", timeout=60)  # the run has started
    assert returncode == 0, stderr
    assert "stopping after this step and keeping the latest image" in stderr
    steps = int(stderr.split("stopped at step ")[1].split()[0])
    assert 1 <= steps < 1000 and f"wrote {out}" in stdout
    assert iio.imread(out).shape == (21, 32, 3) and read_settings(out)["steps"] == 1000


def test_outputs_that_cannot_be_written_are_kept_in_the_temporary_folder(tmp_path):
    full = "/dev/full"  # every write to it fails: No space left on device
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    result = stylekit(
        "stylize", CONTENT, STYLE, "-o", full, "--gif", full, "--size", "32", "--steps", "2", "--json", env=env
    )
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: could not write /dev/full (No space left on device); kept it as "), line
    png, gif = sorted(tmp_path.glob("full-*"), key=lambda path: iio.improps(path).is_batch)
    assert f"kept it as {png} instead" in line and f"kept it as {gif} instead" in line
    assert read_settings(png)["steps"] == 2 and iio.imread(png).shape == (21, 32, 3)
    assert iio.imread(gif, index=None).shape[0] >= 1


def test_a_thin_photo_and_a_one_pixel_painting_are_stylized_with_warnings(tmp_path):
    photo, painting, out = tmp_path / "photo.png", tmp_path / "painting.png", tmp_path / "o.png"
    Image.new("RGB", (3, 900), (200, 60, 30)).save(photo)
    Image.new("RGB", (1, 1), (20, 60, 200)).save(painting)
    result = stylekit("stylize", str(photo), str(painting), "-o", str(out), "--size", "48", "--steps", "2")
    assert result.returncode == 0, result.stderr
    assert "the photo is 3x900 pixels: the result will show little of it" in result.stderr
    assert "style image 1 is 1x1 pixels" in result.stderr and f"wrote {out}" in result.stdout
    assert iio.imread(out).shape == (48, 16, 3)  # 1 px wide at size 48: stretched to the 16 px VGG needs


def test_layers_weighted_zero_are_left_out(tmp_path):
    out = tmp_path / "o.png"
    result = stylekit(
        "stylize", CONTENT, STYLE, "-o", str(out), "--size", "32", "--steps", "2", "--json",
        "--style-layers", "relu1_1:0,relu2_1", "--content-layers", "relu4_2:0,relu3_1",
    )
    assert result.returncode == 0, result.stderr
    losses = json.loads(result.stdout)["losses"]
    assert losses["style"] > 0 and losses["content"] >= 0
    assert read_settings(out)["style_layers"] == {"relu1_1": 0.0, "relu2_1": 1.0}


def test_fast_apply_keeps_what_it_cannot_write(tmp_path):
    model = tmp_path / "m.safetensors"
    save_checkpoint(model, TransformerNet(), {"steps": 0})
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    for name in ("a", "b"):
        Image.fromarray(np.full((24, 32, 3), 90, np.uint8)).save(photos / f"{name}.png")
    (out / "b.png").mkdir(parents=True)  # where b's result should go, a folder: that write fails
    result = stylekit("fast", "apply", str(model), str(photos), "-o", str(out), "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert "wrote 1 images" in result.stdout and f"skipped {photos / 'b.png'}: could not write" in result.stderr
    single = stylekit(
        "fast", "apply", str(model), str(photos / "a.png"), "-o", "/dev/full", "--device", "cpu",
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert single.returncode == 2 and "kept it as" in single.stderr
    (kept,) = tmp_path.glob("full-*")
    assert read_settings(kept)["method"] == "fast" and iio.imread(kept).shape == (24, 32, 3)


def test_region_style_takes_a_part_of_its_painting(tmp_path):
    from argparse import Namespace

    from stylekit.cli.stylize import _paintings

    args = Namespace(content=CONTENT, styles=[], regions="map.png", region_style=[
        f"red={STYLE}:2@0,0,1,0.33", f"blue={STYLE}@0,0.5,0.5,1", "white=keep", "lime=a@b.jpg",
    ])
    styles, regions = _paintings(args)
    assert styles == [STYLE, "a@b.jpg"]
    assert regions[0] == {"colour": "#ff0000", "style": 0, "weight": 2.0, "painting": "great_wave.jpg",
                          "crop": [0.0, 0.0, 1.0, 0.33]}
    assert regions[1]["crop"] == [0.0, 0.5, 0.5, 1.0] and regions[1]["style"] == 0
    assert "crop" not in regions[2] and "crop" not in regions[3]


def test_a_bad_part_of_a_painting_exits_with_one_line(tmp_path):
    region_map = tmp_path / "map.png"
    Image.new("RGB", (8, 8), "red").save(region_map)
    for spec, message in ((f"red={STYLE}@0,0,1", "write the part of the painting as @LEFT,TOP,RIGHT,BOTTOM"),
                          (f"red={STYLE}@0,0,1,1.5", "needs 0 <= left < right <= 1")):
        result = stylekit("stylize", CONTENT, "--regions", str(region_map), "--region-style", spec,
                          "-o", str(tmp_path / "out.png"))
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
