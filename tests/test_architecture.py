"""The code's shape: the core never imports the app wing, gradio or pandas; the UI never touches tensors;
every import is a declared dependency; the commands are installed; a setting is declared once.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from stylekit.app.studio import StudioSettings
from stylekit.cli import build_parser
from stylekit.cli.options import add_setting_options, settings_from_args
from stylekit.config import StyleConfig
from stylekit.errors import ConfigError
from stylekit.fast.config import ApplyConfig, TrainConfig
from stylekit.settings import setting, setting_fields, validate_fields

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "stylekit"
APP = PACKAGE / "app"
APP_ONLY = ("gradio", "pandas", "stylekit.app")


def import_statements(path: Path) -> list[tuple[str, list[str]]]:
    """Each import of a source file as (absolute module, names taken from it), relative imports resolved."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    statements = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            statements += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            statements.append((".".join(filter(None, (base, node.module))), [alias.name for alias in node.names]))
    return statements


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules a source file imports, and of each name it takes from one."""
    return {name for module, names in import_statements(path) for name in (module, *(f"{module}.{n}" for n in names))}


def sources(folder: Path, exclude: Path | None = None) -> list[Path]:
    return [p for p in sorted(folder.rglob("*.py")) if exclude is None or exclude not in p.parents]


def test_the_core_never_imports_the_app_wing_gradio_or_pandas():
    core = sources(PACKAGE, exclude=APP)
    assert len(core) > 15
    offending = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in core
        for name in imported_modules(path)
        if name.startswith(APP_ONLY)
    }
    assert not offending, sorted(offending)


def test_importing_the_whole_core_loads_no_app_module():
    core_modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in sources(PACKAGE, exclude=APP)
        if p.name != "__main__.py" and (PACKAGE / "cluster" not in p.parents or importlib.util.find_spec("ray"))
    ]  # stylekit/cluster needs the cluster extra
    probe = f"import sys\nfor m in {core_modules!r}: __import__(m)\nprint(sorted(n for n in sys.modules if n.startswith({APP_ONLY!r})))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_ui_never_touches_tensors():
    ui = sources(APP / "ui")
    assert ui
    offending = [f"{p.relative_to(ROOT)} imports {n}" for p in ui for n in imported_modules(p) if n.split(".")[0] == "torch"]
    assert not offending


def test_every_third_party_import_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_dist_name(req) for req in project["dependencies"]}
    app_declared = declared | {_dist_name(req) for req in project["optional-dependencies"]["app"]}
    optional = {"imageio-ffmpeg"}  # MP4 export, checked for at run time; a test extra
    cluster = {_dist_name(req) for req in project["optional-dependencies"]["cluster"]}  # stylekit/cluster only
    providers = metadata.packages_distributions()
    for folder, allowed in ((PACKAGE, declared | optional), (APP, app_declared | optional)):
        for path in sources(folder, exclude=APP if folder == PACKAGE else None):
            extra = cluster if PACKAGE / "cluster" in path.parents else set()
            for name in imported_modules(path):
                top = name.split(".")[0]
                if top == "stylekit" or top in sys.stdlib_module_names or top not in providers:
                    continue
                dists = {d.lower() for d in providers[top]}
                assert dists & (allowed | extra), f"{path.relative_to(ROOT)} imports {top} from {dists}, not declared"


def _dist_name(requirement: str) -> str:
    for separator in "=<>[ ;":
        requirement = requirement.split(separator)[0]
    return requirement.strip().lower()


def test_the_commands_are_installed():
    scripts = {ep.name: ep for ep in metadata.entry_points(group="console_scripts") if ep.dist.name == "stylekit"}
    assert set(scripts) == {"stylekit", "stylekit-app"}
    assert callable(scripts["stylekit"].load()) and callable(scripts["stylekit-app"].load())


# ----- one source of truth per setting --------------------------------------------------------

def cli_destinations(parser: argparse.ArgumentParser) -> set[str]:
    return {action.dest for action in parser._actions}


def subparser(*path: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    return parser


@pytest.mark.parametrize(
    "settings_class, command", [(StyleConfig, ("stylize",)), (TrainConfig, ("fast", "train")), (ApplyConfig, ("fast", "apply"))]
)
def test_every_setting_is_a_command_line_option(settings_class, command):
    assert set(setting_fields(settings_class)) <= cli_destinations(subparser(*command))


def test_a_new_setting_is_one_field_for_the_cli_the_validation_and_the_studio():
    @dataclass
    class WithBrush(StyleConfig):
        brush_size: float = setting(2.0, help="stroke width", minimum=0, maximum=10)

    parser = argparse.ArgumentParser()
    add_setting_options(parser, WithBrush)
    assert settings_from_args(WithBrush, parser.parse_args(["--brush-size", "3"])).brush_size == 3.0
    assert "stroke width" in parser.format_help()
    with pytest.raises(ConfigError, match="brush_size must be at most 10"):
        validate_fields(WithBrush(brush_size=11))
    # The studio passes any StyleConfig field with a widget through as it is, and restores it.
    config = StudioSettings.from_widgets(pooling="avg", min_scale_size=64.0).to_config(1)
    assert (config.pooling, config.min_scale_size) == ("avg", 64)
    restored, notes = StudioSettings.from_config(config, ["pooling", "min_scale_size"])
    assert notes == [] and restored.widget_value("min_scale_size") == 64


@pytest.mark.parametrize(
    "settings, message",
    [
        (StyleConfig(style_scale=float("nan")), "style_scale must be a finite number"),
        (StyleConfig(seed=2**70), "seed must be at most"),
        (StyleConfig(content_layers="relu4_2"), "content_layers must be a mapping"),
        (StyleConfig(steps=2.5), "steps must be a whole number"),
        (StyleConfig(multiscale="yes"), "multiscale must be true or false"),
        (TrainConfig(learning_rate=0), "learning_rate must be positive"),
        (ApplyConfig(keep_colors=True), "keep_colors must be text"),
    ],
)
def test_one_validation_checks_types_choices_and_bounds(settings, message):
    with pytest.raises(ConfigError, match=message):
        validate_fields(settings)


# ----- a shape a newcomer can hold in their head ------------------------------------------------

MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 200


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A chain of imports that comes back to where it started (depth first), or None."""
    finished: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        for imported in sorted(graph.get(name, ())):
            if imported in trail:
                return trail[trail.index(imported):] + [imported]
            if imported not in finished and (found := visit(imported, trail + [imported])):
                return found
        finished.add(name)
        return None

    for name in sorted(graph):
        if name not in finished and (found := visit(name, [name])):
            return found
    return None


def module_edges(path: Path, modules: set[str]) -> set[str]:
    """The stylekit modules a source file imports: ``from package import submodule`` is an edge to the
    submodule (its package is initialized first in any case), ``from module import name`` one to the module."""
    edges = set()
    for module, names in import_statements(path):
        submodules = {f"{module}.{name}" for name in names} & modules
        edges |= submodules
        if len(submodules) < max(1, len(names)):  # a plain import, or a name the module itself defines
            edges.add(module)
    return edges & modules


def test_no_import_cycle_among_stylekits_modules():
    modules = {module_name(p): p for p in sources(PACKAGE)}
    graph = {name: module_edges(path, set(modules)) - {name} for name, path in modules.items()}
    assert len(graph) > 30 and any(graph.values())
    found = find_cycle(graph)
    assert found is None, " -> ".join(found)


def test_the_cycle_finder_finds_a_long_cycle_and_passes_a_diamond():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) is None


def test_no_long_function_or_class_in_the_core():
    too_long = []
    for path in sources(PACKAGE, exclude=APP):
        for node in ast.walk(ast.parse(path.read_text())):
            lines = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and lines > MAX_FUNCTION_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: function {node.name} has {lines} lines")
            elif isinstance(node, ast.ClassDef) and lines > MAX_CLASS_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: class {node.name} has {lines} lines")
    assert not too_long, too_long
