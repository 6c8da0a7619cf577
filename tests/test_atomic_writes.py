"""Nothing written is lost: every file a user asked for is replaced whole or not at all.

The failures are real ones: a file size limit (``ulimit -f``, RLIMIT_FSIZE) makes the operating system
refuse the write, in a child process so that this one is not limited.
"""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from fakes import tiny_config
from test_cli import interrupted_stylize

from stylekit.atomic import atomic_write
from stylekit.errors import OutputError, WriteError
from stylekit.export import read_settings
from stylekit.fast import read_checkpoint, train

ROOT = Path(__file__).resolve().parent.parent
CONTENT = str(ROOT / "assets" / "content" / "coffee.jpg")
STYLE = str(ROOT / "assets" / "paintings" / "great_wave.jpg")
OLD = b"the previous file, which must survive byte for byte"

# Each writer overwrites a file under a 4 kB file size limit; prints what each raised, as JSON.
LIMITED_WRITES = """
import json, resource, signal, sys
from pathlib import Path
import numpy as np
import torch
from stylekit.export import save_png, write_gif, write_mp4
from stylekit.fast.checkpoint import save_checkpoint
from stylekit.fast.network import TransformerNet

folder = Path(sys.argv[1])
noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)  # does not compress
net = TransformerNet()
writers = {
    "png": lambda path: save_png(noise, path, {"steps": 3}),
    "gif": lambda path: write_gif(path, [noise, noise[::-1]]),
    "mp4": lambda path: write_mp4(path, [noise, noise[::-1]]),
    "checkpoint": lambda path: save_checkpoint(path, net, {"steps": 1}),
}
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
raised = {}
for name, write in writers.items():
    try:
        write(folder / f"out.{name}")
        raised[name] = None
    except Exception as error:
        raised[name] = f"{type(error).__name__}: {error}"
print(json.dumps(raised))
"""


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".partial" in path.name)


def test_a_failed_write_keeps_the_previous_file_byte_for_byte_and_says_why(tmp_path):
    names = ("png", "gif", "mp4", "checkpoint")
    for name in names:
        (tmp_path / f"out.{name}").write_bytes(OLD)
    done = subprocess.run(
        [sys.executable, "-c", LIMITED_WRITES, str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    raised = json.loads(done.stdout.strip().splitlines()[-1])
    for name in names:
        assert raised[name].startswith(f"WriteError: could not write {tmp_path / f'out.{name}'} ("), raised
        assert raised[name].endswith("; the previous file is unchanged; free some space or choose another path") or (
            name == "mp4" and "the previous file is unchanged" in raised[name]  # ffmpeg's failure, in its words
        ), raised
        assert "\n" not in raised[name]
        assert (tmp_path / f"out.{name}").read_bytes() == OLD
    assert "File too large" in raised["png"] and "File too large" in raised["checkpoint"]
    assert leftovers(tmp_path) == []


def test_a_write_replaces_the_file_whole_keeping_its_permissions(tmp_path):
    target = tmp_path / "result.png"
    target.write_bytes(OLD)
    target.chmod(0o640)
    with atomic_write(target) as partial:
        assert partial.parent == tmp_path and partial.suffix == ".png" and partial != target
        partial.write_bytes(b"new")
        assert target.read_bytes() == OLD  # until the block ends
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_an_interrupted_write_leaves_no_trace(tmp_path):
    target = tmp_path / "result.png"
    target.write_bytes(OLD)
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as partial:
        partial.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == OLD and leftovers(tmp_path) == []


def test_a_link_stays_a_link_and_a_device_is_written_in_place(tmp_path):
    real, link = tmp_path / "real.png", tmp_path / "link.png"
    real.write_bytes(OLD)
    link.symlink_to(real)
    with atomic_write(link) as partial:
        partial.write_bytes(b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    with atomic_write("/dev/null") as partial:
        assert partial == Path("/dev/null")
        partial.write_bytes(b"gone")
    with pytest.raises(WriteError, match=r"^could not write /dev/full \(No space left on device\); free some space"):
        with atomic_write("/dev/full") as partial:
            partial.write_bytes(b"no room")


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path):
    with pytest.raises(WriteError, match=r"could not write /proc/nowhere\.png \(.*\); choose another path"):
        with atomic_write("/proc/nowhere.png"):
            pass


def test_cli_write_under_a_file_size_limit_keeps_the_old_output_and_prints_one_line(tmp_path):
    out = tmp_path / "existing.png"
    out.write_bytes(OLD)
    command = f"ulimit -f 1; exec {sys.executable} -m stylekit stylize {CONTENT} {STYLE} --size 32 --steps 2 -o {out}"
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]  # the lines before it are the progress bar's
    assert "Traceback" not in done.stderr
    assert last == (
        f"error: could not write {out} (File too large); the previous file is unchanged; "
        f"nor could a copy be kept in {tmp_path} (File too large)"
    )
    assert out.read_bytes() == OLD and sorted(path.name for path in tmp_path.iterdir()) == ["existing.png"]


# ----- checkpoints during training ----------------------------------------------
@pytest.fixture
def disk_full_after(monkeypatch):
    """Make every file write after the first ``count`` fail as a full disk would (ENOSPC)."""

    def fail_after(count: int) -> None:
        writes = []
        real = Path.write_bytes

        def write_bytes(self, data):
            writes.append(self)
            if len(writes) > count:
                raise OSError(28, "No space left on device")
            return real(self, data)

        monkeypatch.setattr(Path, "write_bytes", write_bytes)

    return fail_after


def test_a_checkpoint_that_cannot_be_saved_stops_training_keeping_the_last_good_one(files, tmp_path, disk_full_after):
    output = tmp_path / "m.safetensors"
    disk_full_after(1)  # the checkpoint of step 2 is saved, that of step 4 is not
    reports = list(train(tiny_config(files, output=str(output), checkpoint_every=2)))
    final = reports[-1]
    assert final.save_failed and final.outcome.value == "stopped" and final.checkpoint == str(output)
    assert final.step == 5  # the step on which every process agreed to stop
    assert final.message.startswith(
        f"training stopped at step 5: could not save its checkpoint to {output} (No space left on device); "
        "the last good one, of step 2, is still there. Free some space, then resume from it"
    )
    assert read_checkpoint(output).steps == 2 and leftovers(tmp_path) == []


def test_with_no_checkpoint_saved_at_all_training_ends_in_one_error(files, tmp_path, disk_full_after):
    output = tmp_path / "m.safetensors"
    output.write_bytes(OLD)  # a file from before this run
    disk_full_after(0)
    with pytest.raises(OutputError, match="and no earlier checkpoint of this run was saved; the previous file there"):
        list(train(tiny_config(files, output=str(output), steps=2)))
    assert output.read_bytes() == OLD


def test_cli_training_whose_checkpoint_cannot_be_saved_exits_2_naming_the_good_one(files, tmp_path, disk_full_after,
                                                                                   capsys):
    from stylekit.cli import main

    output = tmp_path / "m.safetensors"
    disk_full_after(1)
    args = ["fast", "train", str(files["style"]), str(files["dataset"]), "-o", str(output), "--steps", "12",
            "--checkpoint-every", "2", "--size", "32", "--batch-size", "2", "--workers", "0", "--device", "cpu"]
    assert main(args) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()[-1:]
    assert line.startswith("error: training stopped at step 5") and "of step 2, is still there" in line
    assert read_checkpoint(output).steps == 2


# ----- a run stopped at a coarse scale --------------------------------------------
def test_ctrl_c_during_a_coarse_scale_saves_the_picture_at_the_size_asked_for(tmp_path):
    out = tmp_path / "o.png"
    # stopped while the progress bar is on the coarser of the 136 and 192 px scales
    returncode, stdout, stderr = interrupted_stylize(out, 192, b"scale 1/2", timeout=120)
    assert returncode == 0, stderr
    assert "stopped at a coarse scale (136x91): saved that picture upscaled to 192x128, so it looks soft" in stderr
    assert f"wrote {out} (192x128)" in stdout
    assert iio.imread(out).shape == (128, 192, 3) and read_settings(out)["size"] == 192
    assert np.asarray(iio.imread(out)).std() > 0
