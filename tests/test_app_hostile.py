"""Hostile callers of the real server: every named endpoint with numbers out of any range, request bodies past
the caps, a zip bomb, files that are refused. Each is refused in one clear line before any work, nothing of it is
kept, and the server carries on."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import time
import urllib.parse
import zipfile
from pathlib import Path

import httpx
import pytest
from fakes import synthetic_photo
from gradio_client import Client
from test_app_bad_input import png_claiming
from test_app_training import upload, zip_bomb
from test_fast_video import still_clip, write_clip

from stylekit.app.limits import LIMITS, MB

HOSTILE = [10**30, -(10**30), 1e308, -1e308, math.nan, math.inf, -math.inf]  # JSON as Python writes it
QUICK = {"size": 64, "steps": 2, "multiscale": False, "length": 2, "batch_size": 1}  # were a value let through
LEAKS = re.compile(r"Traceback|<class|\w+(Error|Exception)\b|/tmp/|/home/|/root/|site-packages|verbose error")
ENDPOINTS = ["/stylize", "/stylize_fast", "/stylize_video", "/train_fast"]
NUMBERS = {"float", "int"}


@pytest.fixture(scope="module")
def api(app_url) -> dict:
    """The named endpoints, as the server describes them."""
    return Client(app_url, verbose=False).view_api(return_format="dict", print_info=False)["named_endpoints"]


@pytest.fixture(scope="module")
def uploads(app_url, tmp_path_factory) -> dict[str, dict]:
    """A tiny file for each kind of input an endpoint takes, uploaded once."""
    folder = tmp_path_factory.mktemp("hostile")
    synthetic_photo(40, 30, 1).save(folder / "photo.png")
    with zipfile.ZipFile(folder / "photos.zip", "w") as bundle:
        for index in range(2):
            synthetic_photo(48, 40, index).save(folder / f"{index}.png")
            bundle.write(folder / f"{index}.png", f"{index}.png")
    clip = write_clip(folder / "clip.mp4", still_clip(2, 32, 24))
    return {name: upload(app_url, path) for name, path in
            {"photo": folder / "photo.png", "archive": folder / "photos.zip", "video": Path(clip)}.items()}


def arguments(api: dict, endpoint: str, uploads: dict, **values) -> list:
    """An endpoint's inputs in order: ``values`` by name, a tiny file where one is needed, else the defaults
    (small sizes and few steps, were a value let through; no default file)."""
    photo = uploads["photo"]
    files = {"photo": photo, "painting": photo, "image": photo, "style": photo, "archive": uploads["archive"],
             "source": uploads["video"]}
    chosen = {**QUICK, **files, **values}
    return [
        chosen.get(p["parameter_name"], None if "FileData" in str(p["parameter_default"]) else p["parameter_default"])
        for p in api[endpoint]["parameters"]
    ]


def outcome(app_url: str, endpoint: str, data: list, timeout: float = 30) -> str:
    """The error message of a call over plain HTTP (numbers as Python's JSON writes them, NaN too), or why there
    is none; a call that runs is cancelled (its stream closed)."""
    url = f"{app_url}gradio_api/call{endpoint}"
    event_id = httpx.post(url, content=json.dumps({"data": data}), timeout=30,
                          headers={"content-type": "application/json"}).json()["event_id"]
    event = None
    try:
        with httpx.stream("GET", f"{url}/{event_id}", timeout=timeout) as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "error":
                    return str(json.loads(line.removeprefix("data: "))["error"])
                elif event == "complete":
                    return "(it was accepted)"
    except httpx.ReadTimeout:
        return "(it ran instead of being refused)"
    return f"(the stream ended after {event})"


def test_the_endpoints_walked_are_all_the_named_ones(api):
    assert sorted(api) == sorted(ENDPOINTS)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_number_out_of_range_is_refused_in_one_line_before_any_work(api, app_url, uploads, endpoint, capfd):
    numbers = [p["parameter_name"] for p in api[endpoint]["parameters"] if p["python_type"]["type"] in NUMBERS]
    assert numbers, f"{endpoint} takes no number"
    failures = []
    for name in numbers:
        for value in HOSTILE:
            started = time.monotonic()
            message = outcome(app_url, endpoint, arguments(api, endpoint, uploads, **{name: value}))
            took = time.monotonic() - started
            if not message.strip() or "\n" in message or LEAKS.search(message) or message.startswith("(") or took > 5:
                failures.append(f"{name}={value!r}: {message!r} after {took:.1f} s")
    assert httpx.get(app_url, timeout=10).status_code == 200
    assert "Traceback" not in capfd.readouterr().err
    assert not failures, f"{endpoint}: " + "; ".join(failures)


def test_a_huge_training_crop_or_batch_is_refused_at_once_and_memory_stays_low(api, app_url, uploads):
    for name in ("size", "batch_size"):
        started = time.monotonic()
        message = outcome(app_url, "/train_fast", arguments(api, "/train_fast", uploads, **{name: 100000}))
        assert message.startswith("Choose a ") and time.monotonic() - started < 5, message
    rss = int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text())[1]) * 2**10
    assert rss < 3 * 2**30  # the server runs in this process


def upload_folder_entries() -> set[str]:
    """What Gradio's upload folder holds at its top level: its uploads' folders and any file it is receiving."""
    return {entry.name for entry in Path(os.environ["GRADIO_TEMP_DIR"]).iterdir()}


def test_a_call_route_named_like_the_upload_route_gets_the_small_cap(app_url):
    body = b'{"data": ["' + b"x" * (5 * MB) + b'"]}'
    reply = httpx.post(f"{app_url}gradio_api/call/upload", content=body, timeout=30,
                       headers={"content-type": "application/json"})
    assert reply.status_code == 413
    assert reply.json() == {"error": "the request is too large; send images as file uploads"}


def multipart(boundary: str, count: int, size: int):
    """A multipart body of ``count`` files of ``size`` zero bytes, in 1 MB pieces."""
    for index in range(count):
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="part{index}.bin"\r\n'
               "Content-Type: application/octet-stream\r\n\r\n").encode()
        for _ in range(size // MB):
            yield bytes(MB)
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def test_an_upload_over_the_cap_in_all_is_refused_while_it_streams_and_nothing_is_kept(app_url):
    before = upload_folder_entries()
    files_size = 40 * MB
    assert files_size < LIMITS.uploads.upload_bytes < 3 * files_size  # each file alone would pass
    reply = httpx.post(f"{app_url}gradio_api/upload", content=multipart("cap", 3, files_size), timeout=60,
                       headers={"content-type": "multipart/form-data; boundary=cap"})  # chunked: no length declared
    assert reply.status_code == 413
    assert reply.json() == {"error": "the upload is over 100 MB in all; upload fewer or smaller files"}
    assert upload_folder_entries() <= before


def test_an_upload_declaring_too_much_is_refused_before_it_is_read(app_url):
    url = urllib.parse.urlparse(app_url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(
            b"POST /gradio_api/upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {3 * 40 * MB}\r\n\r\n".encode() + b"--x\r\n"
        )
        reply = b""
        while b"}" not in reply and (chunk := connection.recv(4096)):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413") and b"the upload is over 100 MB in all" in reply


def test_a_zip_bomb_is_refused_and_leaves_nothing(api, app_url, tmp_path, uploads):
    bomb = upload(app_url, zip_bomb(tmp_path / "bomb.zip", unpacked_mb=600))
    message = outcome(app_url, "/train_fast", arguments(api, "/train_fast", uploads, archive=bomb))
    assert message == "The zip holds no usable JPEG or PNG photos; zip a folder of photos and upload it."
    workspace = Path(os.environ["GRADIO_TEMP_DIR"])
    assert not list(workspace.glob("stylekit-fast-*/unpacked-*"))  # nothing unpacked stays behind
    assert not Path(bomb["path"]).exists() and Path(uploads["photo"]["path"]).exists()  # the refused zip is gone


@pytest.mark.parametrize("kind, message", [("image", "Photo: the image has too many pixels"), ("model", "model")])
def test_a_refused_upload_is_deleted_at_once(api, app_url, tmp_path, uploads, kind, message):
    bad = tmp_path / ("bomb.png" if kind == "image" else "notes.safetensors")
    bad.write_bytes(png_claiming(30000, 30000) if kind == "image" else b"not a model")
    refused = upload(app_url, bad)
    given = {"image": refused} if kind == "image" else {"upload": refused}
    assert message in outcome(app_url, "/stylize_fast", arguments(api, "/stylize_fast", uploads, **given))
    assert not Path(refused["path"]).exists() and Path(uploads["photo"]["path"]).exists()
