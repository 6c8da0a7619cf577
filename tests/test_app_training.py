"""The fast-network tabs' logic (stylekit.app.training, datasets) and the tab through a real server."""

from __future__ import annotations

import json
import math
import os
import stat
import urllib.request
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from fakes import synthetic_photo, write_dataset
from PIL import Image

from stylekit.app import datasets, training
from stylekit.app.datasets import dataset_folders, offered_folder, unpack_photos
from stylekit.app.jobs import Throttle
from stylekit.app.limits import LIMITS, MB
from stylekit.app.training import FastSession, Photos, TrainSettings, run_training, stylize_frame, stylize_photo
from stylekit.errors import ConfigError, DatasetError, MissingInputError, ModelFileError
from stylekit.fast import read_checkpoint


def tiny_settings(**changes) -> TrainSettings:
    return TrainSettings.from_widgets(**{**dict(length_unit="steps", length=3, size=32, batch_size=2), **changes})


def zip_folder(folder: Path, archive: Path) -> Path:
    """Zip every file under ``folder``, keeping its subfolders."""
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(folder))
    return archive


@pytest.fixture(scope="module")
def photos_zip(files, tmp_path_factory) -> Path:
    return zip_folder(files["dataset"], tmp_path_factory.mktemp("zips") / "photos.zip")


def test_a_session_trains_on_a_zip_streams_views_and_then_stylizes(files, photos_zip):
    session, settings = FastSession(), tiny_settings(val_every=1)
    views = list(run_training(session, settings, str(files["style"]), Photos(str(photos_zip)), Throttle(0)))
    *progress, final = views
    assert progress[0].status.startswith("Step 1 / 3 · epoch 1 of 1") and progress[0].image is not None
    assert final.status.startswith("Done: 3 steps") and "unreadable image file" not in final.status
    assert "1 photo(s) of the zip were left out: unreadable" in final.status  # dropped when unpacked
    assert set(final.losses["term"]) == {"content", "style", "tv", "total"}
    checkpoint, gif = final.downloads
    assert read_checkpoint(checkpoint).steps == 3 and Image.open(gif).n_frames == 3
    [(label, path)] = session.trained.items()
    assert path == str(checkpoint) and label.startswith("style · 3 steps")
    assert not (checkpoint.parent / "photos").exists()  # the unpacked photos are gone once trained
    saved = read_checkpoint(checkpoint).info["settings"]
    assert (saved["style"], saved["dataset"], saved["output"]) == ("style.png", "photos", "style.safetensors")

    photo = synthetic_photo(1500, 900, 9)
    stylized = stylize_photo(session, label, None, photo, 1.0, "none")
    assert stylized.image.shape == (614, 1024, 3) and stylized.note == (
        "the photo (1500x900) was stylized at 1024 px, the most here"
    )
    assert stylize_photo(session, label, None, synthetic_photo(60, 40, 9), 1.0, "none").note is None
    frame = np.asarray(synthetic_photo(640, 480, 9))
    stylized = stylize_frame(session, label, None, frame, 0.5, "luminance")
    assert stylized.image.shape == (240, 320, 3) and stylized.note is None
    session.close()
    assert session.folder is None and not checkpoint.exists()


def test_a_stop_request_still_gives_the_model(files, photos_zip):
    session = FastSession()
    views = run_training(session, tiny_settings(length=100), str(files["style"]), Photos(str(photos_zip)), Throttle(0))
    first = next(views)
    session.stop()
    final = list(views)[-1]
    assert first.status.startswith("Step 1 / 100") and final.status.startswith("Done: 2 steps")
    assert "Stopped at step 2 of 100" in final.status and final.downloads[0].exists()
    session.close()


def test_a_session_keeps_only_its_newest_models(files, photos_zip, monkeypatch):
    monkeypatch.setattr(FastSession, "runs_kept", 2)
    session = FastSession()
    checkpoints = []
    for _ in range(3):
        views = run_training(session, tiny_settings(length=1), str(files["style"]), Photos(str(photos_zip)))
        checkpoints.append(list(views)[-1].downloads[0])
    assert [c.exists() for c in checkpoints] == [False, True, True]
    assert sorted(session.trained.values()) == sorted(map(str, checkpoints[1:]))
    session.close()


@pytest.mark.parametrize(
    "style, photos, settings, error, message",
    [
        (None, "zip", {}, MissingInputError, "add a painting first"),
        ("style", None, {}, MissingInputError, "upload a zip of training photos first"),
        ("style", "text", {}, DatasetError, "upload a plain .zip of photos"),
        ("style", "no_photos", {}, DatasetError, "holds no usable JPEG or PNG photos"),
        ("style", "zip", {"length_unit": "epochs", "length": 0}, ConfigError, "length must be at least 1"),
    ],
)
def test_training_problems_are_explained(files, photos_zip, tmp_path, style, photos, settings, error, message):
    (tmp_path / "notes.zip").write_text("not a zip")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as bundle:
        bundle.writestr("readme.txt", "no photos here")
    archives = {"zip": photos_zip, "text": tmp_path / "notes.zip", "no_photos": tmp_path / "empty.zip", None: None}
    source = Photos(archives[photos] and str(archives[photos]))
    with pytest.raises(error, match=message):
        next(run_training(FastSession(), tiny_settings(**settings), style and str(files[style]), source))


def test_instant_style_explains_missing_and_unsafe_models(tmp_path):
    session, photo = FastSession(), synthetic_photo(20, 20, 0)
    with pytest.raises(MissingInputError, match="choose a model"):
        stylize_photo(session, None, None, photo, 1.0, "none")
    torch.save({"w": torch.zeros(1)}, tmp_path / "model.safetensors")
    with pytest.raises(ModelFileError, match="never loads pickles"):
        stylize_photo(session, None, str(tmp_path / "model.safetensors"), photo, 1.0, "none")


# ----- training photos never reach outside their folder --------------------------------------

def test_a_hostile_zip_unpacks_only_photos_inside_its_folder(tmp_path):
    buffer = tmp_path / "hostile.zip"
    png = tmp_path / "p.png"
    synthetic_photo(40, 30, 1).save(png)
    huge = tmp_path / "huge.png"
    Image.new("1", (9000, 9000)).save(huge)  # small file, too many pixels
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.write(png, "../../escaped.png")
        bundle.write(png, "/tmp/absolute.png")
        bundle.write(png, "deep/nested/ok.png")
        bundle.write(huge, "huge.png")
        bundle.writestr("script.sh", "echo hi")
        bundle.writestr("__MACOSX/._ok.png", "resource fork")
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(link, "/etc/passwd")
    target = tmp_path / "box" / "photos"
    unpack_photos(buffer, target)
    assert sorted(p.name for p in target.iterdir()) == ["00000.png", "00001.png", "00002.png"]
    assert all(Image.open(p).size == (40, 30) for p in target.iterdir())
    assert not (tmp_path / "escaped.png").exists() and not (tmp_path / "box" / "escaped.png").exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        ["hostile.zip", "p.png", "huge.png", "00000.png", "00001.png", "00002.png"]
    )


def test_zip_limits_are_counted_as_unpacked_and_a_refusal_leaves_nothing(tmp_path, monkeypatch):
    photos = write_dataset(tmp_path / "photos", 4)
    archive = zip_folder(photos, tmp_path / "photos.zip")
    monkeypatch.setattr(datasets, "LIMITS", replace(LIMITS, uploads=replace(LIMITS.uploads, zip_photos=3)))
    with pytest.raises(DatasetError, match="holds 4 photos, over the limit of 3"):
        unpack_photos(archive, tmp_path / "a")
    monkeypatch.undo()
    total = sum(p.stat().st_size for p in photos.rglob("*") if p.is_file())
    with pytest.raises(DatasetError, match="unpacked"):
        unpack_photos(archive, tmp_path / "b", budget=total // 2)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def zip_bomb(path: Path, unpacked_mb: int = 100) -> Path:
    """A zip of a few MB at most holding one "photo" of ``unpacked_mb`` MB (zeros behind a PNG signature)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bundle, bundle.open(
        "bomb.png", "w", force_zip64=True
    ) as member:
        member.write(b"\x89PNG\r\n\x1a\n")
        for _ in range(unpacked_mb):
            member.write(bytes(MB))
    return path


def test_a_zip_bomb_is_refused_without_writing_it_out(files, tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.zip")
    assert bomb.stat().st_size < 1 * MB
    session = FastSession(tmp_path)
    with pytest.raises(DatasetError, match="holds no usable JPEG or PNG photos"):
        next(run_training(session, tiny_settings(), str(files["style"]), Photos(str(bomb))))
    assert session.folder is None or not any(session.folder.rglob("*"))  # nothing unpacked is left


def test_over_large_and_odd_photos_in_a_zip_are_left_out_with_a_note(tmp_path):
    photos = write_dataset(tmp_path / "photos", 2)
    (photos / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(LIMITS.uploads.image_bytes))
    Image.new("RGB", (2, 5000)).save(photos / "strip.png")  # a 256 px crop would scale it to 1 GB
    Image.new("CMYK", (30, 20)).save(photos / "print.jpg")  # odd, but a photo
    unpacked = unpack_photos(zip_folder(photos, tmp_path / "photos.zip"), tmp_path / "out")
    assert unpacked.skipped == 2 and len(list(unpacked.folder.iterdir())) == 3
    assert unpacked.note() == (
        "2 photo(s) of the zip were left out: unreadable, over 40 MP or 20 MB, or over 10 times longer one way "
        "than the other"
    )


def test_a_session_s_unpacked_photos_stay_within_its_quota(files, photos_zip, monkeypatch):
    monkeypatch.setattr(training, "LIMITS", replace(LIMITS, uploads=replace(LIMITS.uploads, session_bytes=1000)))
    session = FastSession()
    with pytest.raises(DatasetError, match="come to over 1 kB unpacked"):
        next(run_training(session, tiny_settings(), str(files["style"]), Photos(str(photos_zip))))
    assert not any(session.folder.rglob("*"))
    session.close()


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"size": 100000}, "choose a crop size from 32 to 512 px (got 100000)"),
        ({"batch_size": 100000}, "choose a batch size from 1 to 16 (got 100000)"),
        ({"length": 10**9}, "choose a number of steps from 1 to 20000 (got 1000000000)"),
        ({"length_unit": "epochs", "length": 11}, "choose a number of epochs from 1 to 10 (got 11)"),
        ({"fraction": math.nan}, "choose a share of the photos from 0.01 to 1 (got nan)"),
        ({"style_weight": 1e308}, "choose a style weight from 0 to 1000 (got 1e+308)"),
        ({"size": "big"}, "choose a crop size from 32 to 512 px (got 'big')"),
        ({"size": 100.5}, "size must be a whole number, got 100.5"),
    ],
)
def test_settings_out_of_the_app_s_limits_are_refused_before_any_work(files, settings, message):
    session = FastSession()
    with pytest.raises(ConfigError) as caught:
        next(run_training(session, tiny_settings(**settings), str(files["style"]), Photos("missing.zip")))
    assert str(caught.value) == message and session.folder is None


def test_the_data_root_offers_its_folders_and_nothing_else(tmp_path):
    root = tmp_path / "root"
    write_dataset(root / "coco", 2)
    (root / "wikiart").mkdir()
    (root / ".hidden").mkdir()
    outside = write_dataset(tmp_path / "private", 2)
    os.symlink(outside, root / "sneaky")
    os.symlink(outside / "photo0.jpg", root / "coco" / "leak.jpg")
    assert dataset_folders(root) == ["coco", "wikiart"]
    assert dataset_folders(None) == []
    assert offered_folder(root, "coco") == root / "coco"
    for name in ("sneaky", "..", "../private", str(outside), "/root", ".hidden", "coco/nested", "missing"):
        with pytest.raises(DatasetError) as caught:
            offered_folder(root, name)
        assert str(caught.value) == "choose one of the listed photo folders, or upload a zip of photos"
    with pytest.raises(DatasetError):
        offered_folder(None, "coco")
    from stylekit.fast.data import find_images

    assert "leak.jpg" not in {p.name for p in find_images(root / "coco")}


def test_training_from_an_offered_folder(files, tmp_path):
    root = tmp_path / "root"
    write_dataset(root / "mine", 3)
    session = FastSession()
    views = list(run_training(session, tiny_settings(length=1), str(files["style"]), Photos(None, "mine", root)))
    assert views[-1].status.startswith("Done: 1 step ") and (root / "mine" / "photo0.jpg").exists()
    session.close()


# ----- the tab through a real server --------------------------------------------------------

def test_the_app_trains_on_an_uploaded_zip_and_stylizes_with_an_uploaded_model(app_url, files, photos_zip, trained,
                                                                                 tmp_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    settings = dict(length_unit="steps", length=2, size=64, batch_size=2, style_weight=5, fraction=1)
    style = handle_file(str(files["style"]))
    job = client.submit(style=style, archive=handle_file(str(photos_zip)), folder=None, **settings,
                        api_name="/train_fast")
    job.result(timeout=240)
    validation, status, losses, model, gif = job.outputs()[-1]
    assert status.startswith("Done: 2 steps"), status
    assert model["interactive"] and read_checkpoint(model["value"]).steps == 2
    synthetic_photo(97, 131, 5).save(tmp_path / "photo.png")
    result = client.predict(
        None, handle_file(str(trained[0])), handle_file(str(tmp_path / "photo.png")), 1.0, "none",
        api_name="/stylize_fast",
    )
    assert Image.open(result).size == (97, 131)


def call_api(app_url: str, api_name: str, data: list) -> str:
    """Call an endpoint over plain HTTP, as a remote client that names server files would; the event stream."""
    url = f"{app_url}gradio_api/call/{api_name}"
    request = urllib.request.Request(url, json.dumps({"data": data}).encode(), {"Content-Type": "application/json"})
    event_id = json.load(urllib.request.urlopen(request, timeout=30))["event_id"]
    return urllib.request.urlopen(f"{url}/{event_id}", timeout=120).read().decode()


def upload(app_url: str, path: Path) -> dict:
    """Upload a file the way the browser does; its payload for an event."""
    import httpx

    with open(path, "rb") as file:
        [server_path] = httpx.post(f"{app_url}gradio_api/upload", files={"files": file}, timeout=30).json()
    return {"path": server_path, "meta": {"_type": "gradio.FileData"}}


def test_the_train_tab_takes_no_server_path(app_url, files, photos_zip):
    style = upload(app_url, files["style"])
    settings = ["steps", 1, 64, 2, "slim", 5, 1]
    for server_path in (str(photos_zip), "/etc/passwd"):
        named = {"path": server_path, "meta": {"_type": "gradio.FileData"}}
        stream = call_api(app_url, "train_fast", [style, named, None, *settings])
        assert "event: error" in stream and "Done:" not in stream
    for folder in (str(files["dataset"]), "..", "/root"):
        stream = call_api(app_url, "train_fast", [style, None, folder, *settings])
        assert "event: error" in stream and "Choose one of the listed photo folders" in stream
