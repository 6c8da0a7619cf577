"""Bad input through the real server, as an API client sends it: every case gets stylekit's own one-line
message (no Gradio 'verbose error reporting' fallback), the server log gets no traceback, and it carries on."""

from __future__ import annotations

import socket
import struct
import urllib.parse
import zlib
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

ASSETS = Path(__file__).resolve().parent.parent / "assets"
STYLE = ASSETS / "paintings" / "starry_night.jpg"
TINY = {"painting2": None, "size": 64, "steps": 2, "multiscale": False}


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header announcing ``width`` x ``height`` pixels, with almost no data (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


BAD_FILES = {
    "empty.png": (b"", "the file is empty"),
    "notes.png": (b"just some text, no picture", "not an image"),
    "noise.jpg": (bytes(range(256)) * 40, "not an image"),
    "bomb.png": (png_claiming(30000, 30000), "pixels"),
    "cut.png": (None, "truncated or corrupt"),  # a real photo, cut short
}


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.mark.parametrize("role", ["photo", "painting"])
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_upload_gets_its_own_message_either_way(client, tmp_path, make_photo, capfd, role, name):
    data, phrase = BAD_FILES[name]
    bad = tmp_path / name
    if data is None:
        noise = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
        Image.fromarray(noise).save(tmp_path / "whole.png")
        data = (tmp_path / "whole.png").read_bytes()[:-500]
    bad.write_bytes(data)
    files = {"photo": make_photo(), "painting": STYLE, role: bad}
    with pytest.raises(AppError) as caught:
        client.predict(photo=handle_file(str(files["photo"])), painting=handle_file(str(files["painting"])),
                       **TINY, api_name="/stylize")
    message = str(caught.value)
    assert message.startswith(role.capitalize() + ":") and phrase in message, message
    assert "verbose error reporting" not in message
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    "settings, phrase",
    [
        ({"seed": 1e30}, "seed must be at most"),
        ({"seed": "abc"}, "seed must be a whole number"),
        ({"style_weight_log": "abc"}, "style_weight_log must be a finite number"),
        ({"blend": 7}, "blend must be at most 1"),
        ({"style_layers": "relu1_1"}, "style_layers must be a list"),
        ({"optimizer": "newton"}, "optimizer must be one of"),
        ({"style_layers": []}, "at least one style layer"),
        ({"style_layer_weights": "relu1_1:nan"}, "finite number"),
        ({"size": 100000}, "choose a size of at most"),
    ],
)
def test_bad_settings_through_the_api_are_explained(client, make_photo, capfd, settings, phrase):
    with pytest.raises(AppError, match="(?i)" + phrase):
        client.predict(photo=handle_file(str(make_photo())), painting=handle_file(str(STYLE)),
                       **{**TINY, **settings}, api_name="/stylize")
    assert "Traceback" not in capfd.readouterr().err


def test_an_inline_image_over_the_limit_is_refused_before_it_is_read(app_url):
    """A queue request announcing a body of 3 MB (an image inline as a data URL) is answered 413 at once."""
    url = urllib.parse.urlparse(app_url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(
            b"POST /gradio_api/queue/join HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {3 * 2**20}\r\n\r\n".encode() + b'{"data": [{"url": "data:image/png;base64,'
        )
        reply = b""
        while b"}" not in reply and (chunk := connection.recv(4096)):  # headers and the JSON body may come apart
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413") and b"send images as file uploads" in reply


def test_the_server_carries_on_after_bad_input(client, make_photo):
    result = client.predict(photo=handle_file(str(make_photo())), painting=handle_file(str(STYLE)), **TINY,
                            api_name="/stylize")
    assert result[1].startswith("Done: 2 steps")


def test_the_instant_tab_checks_a_photo_before_decoding_it(client, tmp_path, trained, capfd):
    huge = tmp_path / "huge.png"
    Image.new("1", (9000, 9000)).save(huge)  # 80 MP: a few kilobytes on disk, 80 MB once decoded
    with pytest.raises(AppError, match="(?i)photo: the image is 9000x9000 = 81,000,000 pixels, over the"):
        client.predict(None, handle_file(str(trained[0])), handle_file(str(huge)), 1.0, "none",
                       api_name="/stylize_fast")
    assert "Traceback" not in capfd.readouterr().err
