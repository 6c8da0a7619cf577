"""The command line, end to end in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import pytest

from stylekit.export import read_settings

ROOT = Path(__file__).resolve().parent.parent
CONTENT = str(ROOT / "assets" / "content" / "coffee.jpg")
STYLE = str(ROOT / "assets" / "styles" / "woodblock_wave.jpg")


def stylekit(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "stylekit", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=300
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


@pytest.mark.parametrize(
    "args, message",
    [
        (["requirements.txt", STYLE], "not an image"),
        (["missing.jpg", STYLE], "file not found: missing.jpg"),
        ([CONTENT], "at least one style image"),
        ([CONTENT, STYLE, "--style-layers", "relu9_1"], "unknown style layer 'relu9_1'"),
        ([CONTENT, STYLE, "--steps", "0"], "steps must be at least 1"),
        ([CONTENT, STYLE, "--size", "5000"], "choose a size of at most"),
        ([CONTENT, STYLE, "--style-blend", "1", "2"], "2 weights for 1 style"),
        ([CONTENT, STYLE, "--content-layers", "relu4_2:x"], "bad layer weight"),
        ([CONTENT, STYLE, "--device", "cuda:7"], "cuda"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, tmp_path):
    result = stylekit("stylize", *args, "-o", str(tmp_path / "o.png"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
