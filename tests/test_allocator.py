"""The server caps glibc's malloc arenas (the soak test shows what that does to its memory)."""

from __future__ import annotations

import platform

import pytest

from stylekit.app.allocator import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="only glibc has malloc arenas to cap")
def test_the_arena_cap_takes_on_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas(2)


def test_an_arena_limit_from_the_environment_is_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas()
