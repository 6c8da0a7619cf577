"""Every bad input to the command line: one line on stderr, ``error: ...``, exit code 2, before any real work.

Each case runs ``python -m stylekit ARGS`` in its own process. Importing torch
takes two seconds, so the processes are forked from one that imported
stylekit once (this file, run as a script); one case also runs in a fresh
interpreter, to show that both give the same.
"""

import json
import os
import runpy
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from stylekit.fast.checkpoint import FORMAT, save_checkpoint
from stylekit.fast.network import ARCHITECTURE, NETWORKS, TransformerNet

ROOT = Path(__file__).resolve().parent.parent
CONTENT = str(ROOT / "assets" / "content" / "coffee.jpg")
STYLE = str(ROOT / "assets" / "paintings" / "great_wave.jpg")
READ_ONLY = Path("/proc/sys")  # a folder even root cannot write to, on Linux

STYLIZE = ["stylize", CONTENT, STYLE, "--size", "64", "--steps", "1"]
TRAIN = ["fast", "train", STYLE, "{tmp}", "--steps", "1"]
TRAIN_PHOTOS = ["fast", "train", STYLE, "{tmp}/photos", "--steps", "1", "-o", "{tmp}/m.safetensors"]

# Metadata of damaged fast models, by file name: the "stylekit" JSON and the style thumbnail.
BAD_MODELS = {
    "not-json": {"stylekit": "{architecture: oops"},
    "a-list": {"stylekit": "[1, 2, 3]"},
    "deep-json": {"stylekit": "[" * 100_000 + "]" * 100_000},
    "bad-settings": {"stylekit": json.dumps({"architecture": ARCHITECTURE, "settings": [1]})},
    "bad-thumbnail": {"stylekit": json.dumps({"architecture": ARCHITECTURE}), "style_thumbnail": "not base64!"},
}

# (id, arguments, a phrase the one error line must contain); {tmp} is a fresh folder.
CASES = [
    ("not-an-image", ["stylize", "requirements.txt", STYLE], "not an image"),
    ("missing-photo", ["stylize", "missing.jpg", STYLE], "file not found: missing.jpg"),
    ("no-style", ["stylize", CONTENT], "at least one style image"),
    ("unknown-layer", [*STYLIZE, "--style-layers", "relu9_1"], "unknown style layer 'relu9_1'"),
    ("zero-steps", [*STYLIZE, "--steps", "0"], "steps must be at least 1"),
    ("size-over-limit", [*STYLIZE, "--size", "200000"], "choose a size of at most"),
    ("blend-count", [*STYLIZE, "--style-blend", "1", "2"], "2 weights for 1 style"),
    ("layer-weight-text", [*STYLIZE, "--content-layers", "relu4_2:x"], "bad layer weight"),
    ("layer-weight-nan", [*STYLIZE, "--content-layers", "relu4_2:nan"], "content_layers[relu4_2] must be a finite"),
    ("all-layers-zero", [*STYLIZE, "--style-layers", "relu1_1:0"], "at least one style layer with a weight above 0"),
    ("style-weight-nan", [*STYLIZE, "--style-weight", "nan"], "style_weight must be a finite number"),
    ("style-scale-nan", [*STYLIZE, "--style-scale", "nan"], "style_scale must be a finite number"),
    ("style-scale-inf", [*STYLIZE, "--style-scale", "inf"], "style_scale must be a finite number"),
    ("painting-over-limit", [*STYLIZE, "--style-scale", "3000"], "MP limit on cpu; choose a style scale of at most"),
    ("seed-2**70", [*STYLIZE, "--init", "noise", "--seed", str(2**70)], "seed must be at most 2^63-1, got 2^70"),
    ("seed-309-digits", [*STYLIZE, "--seed", str(10**308)], "seed must be at most 2^63-1, got a number 309 digits"),
    ("steering-not-json", [*STYLIZE, "--steering", "style up at 40"], "steering must be a JSON list like"),
    ("steering-step-0", [*STYLIZE, "--steering", '[{"step": 0, "style_weight": 9}]'], 'a whole "step" of at least 1'),
    ("gif-every-0", [*STYLIZE, "--gif-every", "0"], "--gif-every must be at least 1, got 0"),
    ("gif-every-negative", [*STYLIZE, "--gif-every", "-2"], "--gif-every must be at least 1, got -2"),
    ("device-bogus", [*STYLIZE, "--device", "bogus"], "unknown device 'bogus'; choose one of: auto, cpu"),
    ("device-missing-gpu", [*STYLIZE, "--device", "cuda:7"], "cuda"),
    ("output-folder-missing", [*STYLIZE, "-o", "{tmp}/nowhere/o.png"], "nowhere does not exist"),
    ("output-is-a-folder", [*STYLIZE, "-o", "{tmp}"], "is a folder; give a file name"),
    ("gif-folder-missing", [*STYLIZE, "--gif", "{tmp}/nowhere/o.gif"], "--gif {tmp}/nowhere/o.gif: the folder"),
    ("mp4-is-a-folder", [*STYLIZE, "--mp4", "{tmp}"], "--mp4 {tmp} is a folder"),
    ("train-output-folder-missing", [*TRAIN, "-o", "{tmp}/nowhere/m.safetensors"], "nowhere does not exist"),
    ("train-gif-is-a-folder", [*TRAIN, "--gif", "{tmp}"], "--gif {tmp} is a folder"),
    ("train-size-over-memory", [*TRAIN, "--size", "100000"], "training crops of a batch would be 100000x100000"),
    ("train-style-size-over-memory", [*TRAIN_PHOTOS, "--style-size", "100000"], "choose a style size of at most"),
    ("train-val-size-over-memory", [*TRAIN_PHOTOS, "--val-size", "100000"], "choose a validation size of at most"),
    ("train-size-absurd", [*TRAIN, "--size", str(10**400)], "size must be at most 1000000, got a number 401 digits"),
    ("apply-size-over-memory", ["fast", "apply", "{tmp}/good.safetensors", CONTENT, "--size", "100000"],
     "output would be 100000x"),
    ("apply-another-network", ["fast", "apply", "{tmp}/slim-as-standard.safetensors", CONTENT, "-o", "{tmp}/o.png"],
     "this model file is not a stylekit fast network of the expected shape (26 weight(s) missing, e.g."),
    ("apply-nan-weights", ["fast", "apply", "{tmp}/nan.safetensors", CONTENT, "-o", "{tmp}/o.png"],
     "this model holds non-finite weights (NaN or infinity); retrain it"),
    ("apply-photo-to-mp4", ["fast", "apply", "{tmp}/good.safetensors", CONTENT, "-o", "{tmp}/o.mp4"],
     "a photo is stylized to a PNG; name it *.png"),
    ("apply-gif-to-gif", ["fast", "apply", "{tmp}/good.safetensors", "{tmp}/anim.gif", "-o", "{tmp}/o.gif"],
     "a GIF is stylized to a PNG of its first frame or an MP4 of all its frames; name it *.png or *.mp4"),
    ("apply-output-folder-missing", ["fast", "apply", "{tmp}/a-list.safetensors", CONTENT, "-o", "{tmp}/no/o.png"],
     "no does not exist"),
    *(
        (f"model-{name}", ["fast", "apply", f"{{tmp}}/{name}.safetensors", CONTENT, "-o", "{tmp}/o.png"],
         f"{name}.safetensors has a damaged")
        for name in BAD_MODELS
    ),
]
if READ_ONLY.is_dir() and not os.access(READ_ONLY, os.W_OK):
    CASES.append(("output-read-only", [*STYLIZE, "-o", f"{READ_ONLY}/o.png"], "cannot be written (no permission)"))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, tuple[dict, str]]:
    """Each case's exit code, stdout and stderr, and its {tmp} folder."""
    tmp = tmp_path_factory.mktemp("bad-input")
    for name, metadata in BAD_MODELS.items():
        save_file({"net.x": torch.zeros(1)}, tmp / f"{name}.safetensors", metadata={"format": FORMAT, **metadata})
    save_checkpoint(tmp / "good.safetensors", TransformerNet(), {"steps": 0})
    save_checkpoint(tmp / "nan.safetensors", _with_nan(TransformerNet()), {"steps": 0})
    slim = {f"net.{k}": v for k, v in TransformerNet(NETWORKS["slim"]).state_dict().items()}
    record = json.dumps({"architecture": ARCHITECTURE})  # recorded as the standard network
    save_file(slim, tmp / "slim-as-standard.safetensors", metadata={"format": FORMAT, "stylekit": record})
    (tmp / "photos").mkdir()
    Image.new("RGB", (64, 48), "teal").save(tmp / "photos" / "photo.png")
    Image.new("RGB", (8, 8)).save(tmp / "anim.gif", save_all=True, append_images=[Image.new("RGB", (8, 8), "red")])
    argv = [[arg.replace("{tmp}", str(tmp)) for arg in case[1]] for case in CASES]
    driver = subprocess.run(
        [sys.executable, __file__, str(tmp), json.dumps(argv)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert driver.returncode == 0, driver.stderr
    results = json.loads(driver.stdout)
    fresh = subprocess.run([sys.executable, "-m", "stylekit", *argv[0]], capture_output=True, text=True, cwd=ROOT)
    assert results[0] == {"returncode": fresh.returncode, "stdout": fresh.stdout, "stderr": fresh.stderr}
    return {case[0]: (result, str(tmp)) for case, result in zip(CASES, results)}


def _with_nan(net: TransformerNet) -> TransformerNet:
    with torch.no_grad():
        next(net.parameters()).view(-1)[0] = float("nan")
    return net


@pytest.mark.parametrize("name, message", [(case[0], case[2]) for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_exits_2_with_one_line(name, message, outcomes):
    result, tmp = outcomes[name]
    lines = result["stderr"].strip().splitlines()
    assert result["returncode"] == 2, result["stderr"]
    assert len(lines) == 1 and lines[0].startswith("error: "), result["stderr"]
    assert message.replace("{tmp}", tmp) in lines[0], result["stderr"]


def run_forked(argv: list[list[str]], folder: Path) -> list[dict]:
    """``python -m stylekit ARGS`` for each ARGS, each in a child forked from this process with stylekit imported."""
    import stylekit.cli  # noqa: F401  (imported once, here, for every child)

    results = []
    for index, args in enumerate(argv):
        out, err = folder / f"case{index}.out", folder / f"case{index}.err"
        sys.stdout.flush()
        child = os.fork()
        if child == 0:
            _run_child(args, out, err)
        _, status = os.waitpid(child, 0)
        returncode = os.waitstatus_to_exitcode(status)
        results.append({"returncode": returncode, "stdout": out.read_text(), "stderr": err.read_text()})
    return results


def _run_child(args: list[str], out: Path, err: Path) -> None:
    """Run stylekit's ``__main__`` with ``args`` as this process's command line, then end the process as Python would."""
    for descriptor, path in ((1, out), (2, err)):
        with open(path, "w") as file:
            os.dup2(file.fileno(), descriptor)
    sys.argv = ["stylekit", *args]
    code = None
    try:
        runpy.run_module("stylekit", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        code = exit.code
    except BaseException:
        traceback.print_exc()
        code = 1
    if code is not None and not isinstance(code, int):  # sys.exit("text"): Python prints it and exits 1
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    print(json.dumps(run_forked(json.loads(sys.argv[2]), Path(sys.argv[1]))))
