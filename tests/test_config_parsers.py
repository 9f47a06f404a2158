"""The parsers of what a user writes — manifests, run configs, benchmark definitions, labels —
on any input: a valid result, or avbench's InputError in one line naming the file; never
another exception (Hypothesis generates the inputs)."""
from __future__ import annotations

import csv
import io
import itertools
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avbench.benchmark.definition import load_benchmark
from avbench.benchmark.labels import ItemText, read_labels
from avbench.benchmark.report.write import FORMATS
from avbench.benchmark.run_config import ModelEntry, load_run_config
from avbench.metrics.errors import AvbenchError, InputError
from avbench.metrics.media.pairing import MANIFEST_COLUMNS, parse_manifest

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_fresh = itertools.count()

# Any value a YAML file can hold: scalars (NaN and infinities included), lists, mappings.
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
YAML_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
# Text made of what paths and templates are made of (`~user`, `{field}`, ...), which plain text
# rarely hits; relative only (an absolute folder of "clips" such as / would be listed whole).
PATHLIKE = st.text(st.sampled_from("~.{}ab_01:!"), max_size=10)


def fresh(folder: Path, name: str) -> Path:
    """A file name not used before in this session (benchmark YAMLs are cached by path)."""
    return folder / f"{next(_fresh)}-{name}"


def assert_one_line_naming(exc: InputError, path: Path, names_others: bool = False) -> None:
    """One line naming `path` (`names_others`: or a file beside it that `path` names, e.g. its items)."""
    message = str(exc)
    assert "\n" not in message and "\r" not in message, message
    assert exc.path == str(path) or (names_others and exc.path is not None and Path(exc.path).is_relative_to(path.parent))
    assert message.startswith(f"{exc.path}: "), message


# --- manifests ------------------------------------------------------------------------------------

def check_manifest(path: Path, data_rows: int | None = None) -> None:
    """`parse_manifest(path)`: pairs and problems that account for every row, or one InputError line."""
    try:
        pairs, problems = parse_manifest(path)
    except InputError as exc:
        assert_one_line_naming(exc, path)
        return
    ids = [p.sample_id for p in pairs]
    assert len(set(ids)) == len(ids) and all(i and i == i.strip() for i in ids)
    assert all(p.problem is None and (p.audio is None) == (p.source == "track") for p in pairs)
    assert all(p.problem.startswith("line ") and "\n" not in p.problem for p in problems)
    if data_rows is not None:
        assert len(pairs) + len(problems) == data_rows


@PROPERTY
@given(st.binary(max_size=200))
def test_any_bytes_as_a_manifest(tmp_path, data):
    path = tmp_path / "m.csv"
    path.write_bytes(data)
    check_manifest(path)


@PROPERTY
@given(st.text(max_size=200))
def test_any_text_as_a_manifest(tmp_path, text):
    path = tmp_path / "m.csv"
    path.write_bytes(text.encode("utf-8"))
    check_manifest(path)


FIELD = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=6)


@PROPERTY
@given(st.booleans(), st.lists(st.lists(FIELD, min_size=1, max_size=5), min_size=1, max_size=6))
def test_any_rows_under_a_manifest_header(tmp_path, bom, rows):
    """Every non-blank row is a pair or a problem, whatever its fields; a byte-order mark changes nothing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # lineterminator \r\n: a field holding \r or \n is quoted
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows(rows)
    path = tmp_path / "m.csv"
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    check_manifest(path, data_rows=len(rows))  # csv.writer quotes a lone empty field: no row is blank


def test_a_byte_order_mark_reads_as_the_same_manifest(tmp_path):
    text = "sample_id,video_path,audio_path,label\nx,a.mp4,a.wav,dog\n"
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    plain.write_text(text, encoding="utf-8")
    marked.write_text(text, encoding="utf-8-sig")
    assert marked.read_bytes().startswith(b"\xef\xbb\xbf")
    assert parse_manifest(marked) == parse_manifest(plain)
    assert parse_manifest(marked)[0][0].sample_id == "x"


def test_labels_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("stem,label\na,dog barking\n", encoding="utf-8-sig")
    assert read_labels(path) == {"a": ItemText("dog barking", None)}


# --- run configs ------------------------------------------------------------------------------------

VALID_CONFIG = {
    "name": "x", "benchmark": "custom", "items": "clips", "data_root": None, "out": "out",
    "protocol": {"fps": 8, "duration": 2.0, "seed": 0}, "metrics": ["av_align"],
    "models": [{"name": "real"}, {"name": "folder", "label": "mine", "options": {"path": "gen"}, "output": {"fps": 8}}],
    "reference": {"inputs": None, "stats": {"fvd": "ref.npz"}}, "report": {"formats": ["md"], "plots": False},
    "workers": 2, "device": "cpu",
}
# Where a value may be replaced: every key of the valid config, and the keys inside its parts.
CONFIG_KEYS = ([(k,) for k in VALID_CONFIG] + [("models", 1, k) for k in ("name", "label", "options", "output")]
               + [("models", 1, "output", "fps"), ("protocol", "seed"), ("protocol", "frames"), ("report", "formats"),
                  ("report", "plots"), ("reference", "stats"), ("models", 0), ("metrics", 0), ("new key",)])


def replaced(data: object, keys: tuple, value: object) -> object:
    """`data` with the value at `keys` replaced (a list index past the end appends)."""
    data = yaml.safe_load(yaml.safe_dump(data))
    node = data
    for key in keys[:-1]:
        node = node[key]
    if isinstance(node, list) and keys[-1] >= len(node):
        node.append(value)
    else:
        node[keys[-1]] = value
    return data


def is_positive_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def check_run_config(path: Path) -> None:
    """`load_run_config(path)`: a config of the documented types, or one InputError line naming the file."""
    try:
        config = load_run_config(path)
    except InputError as exc:
        assert_one_line_naming(exc, path)
        return
    assert isinstance(config.name, str) and isinstance(config.benchmark, str) and config.models
    assert all(isinstance(m, ModelEntry) and isinstance(m.name, str) and isinstance(m.label, str)
               and isinstance(m.options, dict) for m in config.models)
    assert len({m.label for m in config.models}) == len(config.models)
    assert all(v is None or is_positive_number(v) for m in config.models for v in m.output.values())
    assert all(isinstance(v, int) and not isinstance(v, bool) for k, v in config.protocol.items() if k == "seed")
    assert config.metric_names is None or all(isinstance(n, str) for n in config.metric_names)
    assert set(config.formats) <= set(FORMATS) and isinstance(config.plots, bool)
    assert config.workers is None or (isinstance(config.workers, int) and config.workers >= 1)
    assert all(isinstance(k, str) and isinstance(v, Path) for k, v in config.reference_stats.items())


@PROPERTY
@given(YAML_VALUES)
def test_any_yaml_value_as_a_run_config(tmp_path, value):
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")
    check_run_config(path)


@PROPERTY
@given(st.sampled_from(CONFIG_KEYS), YAML_VALUES | PATHLIKE)
def test_any_yaml_value_at_a_run_config_key(tmp_path, keys, value):
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(replaced(VALID_CONFIG, keys, value), allow_unicode=True), encoding="utf-8")
    check_run_config(path)


def test_the_valid_config_loads_as_written(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(VALID_CONFIG))
    config = load_run_config(path)
    assert [(m.name, m.label, m.output) for m in config.models] == [("real", "real", {}), ("folder", "mine", {"fps": 8})]
    assert config.models[1].options == {"path": str(tmp_path / "gen")}
    assert config.formats == ["md"] and config.plots is False and config.workers == 2
    assert config.reference_stats == {"fvd": tmp_path / "ref.npz"}


# --- benchmark definitions ------------------------------------------------------------------------------

VALID_DEFINITION = {
    "name": "mine", "version": "1", "kind": "custom", "title": "t", "items": "items.csv",
    "layout": {"video": "{item_id}.mp4", "audio": "{item_id}.wav"},
    "protocol": {"duration": 2.0, "fps": 8, "frames": 16, "width": 64, "height": 48, "audio_sample_rate": 16000,
                 "samples_per_item": 1, "reference_split": "self", "seed": 0},
    "text_template": "a video of {label}", "metrics": {"av_align": {"preset": "tempotokens-2025"}},
}
DEFINITION_KEYS = ([(k,) for k in VALID_DEFINITION] + [("protocol", k) for k in VALID_DEFINITION["protocol"]]
                   + [("layout", "video"), ("layout", "audio"), ("metrics", "av_align"), ("labels",), ("new key",)])


def check_definition(path: Path) -> None:
    """`load_benchmark(path)` and its items: a benchmark of the documented types, or one AvbenchError line."""
    (path.parent / "items.csv").write_text("item_id,label,start\nc0,dog,0\nc1,rain,1.5\n")
    try:
        bench = load_benchmark(path, data_root=path.parent)
        items = bench.items()
    except InputError as exc:
        assert_one_line_naming(exc, path, names_others=True)
        return
    except AvbenchError as exc:  # e.g. a version asked for that is not the file's
        assert "\n" not in str(exc)
        return
    assert [i.item_id for i in items] == ["c0", "c1"] and [i.start for i in items] == [0.0, 1.5]
    protocol = bench.protocol
    assert all(v is None or is_positive_number(v) for v in (protocol.duration, protocol.fps))
    assert all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)
               for v in (protocol.frames, protocol.width, protocol.height, protocol.audio_sample_rate))
    assert isinstance(protocol.seed, int) and not isinstance(protocol.seed, bool)
    assert all(isinstance(i.video_path, Path | None) and isinstance(i.audio_path, Path) for i in items)
    assert bench.text_template.format(label="dog") != bench.text_template.format(label="rain")


@PROPERTY
@given(YAML_VALUES)
def test_any_yaml_value_as_a_benchmark_definition(tmp_path, value):
    path = fresh(tmp_path, "bench.yaml")
    path.write_text(yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")
    check_definition(path)


@PROPERTY
@given(st.sampled_from(DEFINITION_KEYS), YAML_VALUES | PATHLIKE)
def test_any_yaml_value_at_a_benchmark_definition_key(tmp_path, keys, value):
    path = fresh(tmp_path, "bench.yaml")
    path.write_text(yaml.safe_dump(replaced(VALID_DEFINITION, keys, value), allow_unicode=True), encoding="utf-8")
    check_definition(path)


@pytest.mark.parametrize("start", ["ten", "nan", "-1", "inf"])
def test_an_items_start_that_is_no_time_names_the_line(tmp_path, start):
    path = fresh(tmp_path, "bench.yaml")
    path.write_text(yaml.safe_dump(VALID_DEFINITION))
    items = tmp_path / "items.csv"
    items.write_text(f"item_id,start\nc0,0\nc1,{start}\n")
    with pytest.raises(InputError) as raised:
        load_benchmark(path, items=items, data_root=tmp_path)
    assert str(raised.value) == f"{items}: line 3: start {start!r} is not a non-negative number of seconds"
