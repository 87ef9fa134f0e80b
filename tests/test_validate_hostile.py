"""`wlid validate` on hostile trees: bounded reads, the spec loader's YAML limits, no link followed."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT

from wlid_render.cli import main
from wlid_render.validate.run import Options, validate_tree
from wlid_render.validate.yaml_stream import YamlLimitError, load_documents

SA = "k8s/base/default/serviceaccounts.yaml"
MEMORY_LIMIT = 1024 * 1024 * 1024

BOMB = "\n".join(
    [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: {name: bomb}",
        "data:",
        "  a: &a [x, x, x, x, x, x, x, x, x, x]",
        "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
        "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
        "  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
        "  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
        "  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
        "  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]",
        "  h: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]",
        "",
    ]
)


def _errors(out: Path) -> list[str]:
    findings = validate_tree(out, Options(use_kubectl=False))
    return [f.message for f in findings if f.severity == "error"]


def _validate_process(out: Path | str) -> subprocess.CompletedProcess[str]:
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "wlid_render", "validate", "--no-kubectl", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
        check=False,
    )


def test_an_alias_bomb_in_a_kubernetes_file_is_refused_in_bounded_memory(lab_copy: Path):
    (lab_copy / SA).write_text(BOMB)
    done = _validate_process(lab_copy)
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert "aliases expand to more than 10,000 values" in done.stdout
    assert done.returncode != 0


def test_deep_json_as_the_arm_template(lab_copy: Path):
    (lab_copy / "azure" / "main.json").write_text("[" * 100_000)
    done = _validate_process(lab_copy)
    assert "Traceback" not in done.stderr
    assert "azure/main.json: the JSON nests deeper than 64 levels" in done.stdout
    (lab_copy / "azure" / "main.json").write_text("[" * 200_000 + "]" * 200_000)
    assert any("nests deeper than 64" in m for m in _errors(lab_copy))


def test_deep_yaml_in_a_kubernetes_file(lab_copy: Path):
    (lab_copy / SA).write_text("".join("  " * i + "- \n" for i in range(500)))
    assert any("nests deeper than 64 levels" in m for m in _errors(lab_copy))
    (lab_copy / SA).write_text("a: " + "[" * 100_000)
    assert any(SA in m for m in _errors(lab_copy))


def test_a_huge_file_is_not_read_past_the_limit(lab_copy: Path):
    with open(lab_copy / "azure" / "main.json", "r+b") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MiB of zeros that take no disk
    assert any("main.json: the file is larger than 32 MiB" in m for m in _errors(lab_copy))


def test_a_file_that_is_not_utf8(lab_copy: Path):
    (lab_copy / SA).write_bytes(b"apiVersion: v1\nkind: \xff\xfe\n")
    assert any("not UTF-8 text (line 2)" in m for m in _errors(lab_copy))


def test_special_files_and_links_in_the_tree_are_not_read(lab_copy: Path):
    main_json = lab_copy / "azure" / "main.json"
    main_json.unlink()
    os.mkfifo(main_json)  # reading it would wait forever
    (lab_copy / "k8s" / "everything").symlink_to("/")  # walking it would read the whole machine
    (lab_copy / "k8s" / "zero.yaml").symlink_to("/dev/zero")
    started = time.monotonic()
    findings = validate_tree(lab_copy, Options(use_kubectl=False))
    assert time.monotonic() - started < 30
    assert all("everything" not in f.file for f in findings)


def test_a_folder_that_is_not_a_rendered_tree_is_not_walked():
    started = time.monotonic()
    result = CliRunner().invoke(main, ["validate", "--no-kubectl", "/"])
    assert time.monotonic() - started < 20  # walking / would take minutes
    assert "not a rendered tree" in result.output
    assert result.exit_code != 0


def test_a_regions_file_that_is_endless_or_not_text(lab_copy: Path, tmp_path: Path):
    result = CliRunner().invoke(main, ["validate", "--no-kubectl", "--regions-file", "/dev/zero", str(lab_copy)])
    assert result.exit_code == 2 and "larger than 1 MiB" in result.output + result.stderr
    bad = tmp_path / "regions.txt"
    bad.write_bytes(b"\xff\xfe")
    result = CliRunner().invoke(main, ["validate", "--no-kubectl", "--regions-file", str(bad), str(lab_copy)])
    assert result.exit_code == 2 and "not UTF-8" in result.output + result.stderr


def test_the_clean_tree_still_validates_clean(lab_copy: Path):
    assert _errors(lab_copy) == []


# The bounded loader gives the values yaml.load_all gives, on every rendered file and on edge cases.


def test_every_committed_yaml_file_loads_as_with_pyyaml():
    files = [p for p in (ROOT / "out").rglob("*") if p.suffix in (".yaml", ".yml")]
    assert len(files) > 20
    for path in files:
        text = path.read_text("utf-8")
        assert load_documents(text) == list(yaml.load_all(text, Loader=yaml.SafeLoader)), path


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: [x, 2.5, true, null, ~, 2024-01-01, 0x1f, 1_000, .inf]\n---\n---\nc: {d: e}\n",
        "a: 1\na: 2\n",
        "a: &x [1, 2]\nb: *x\nc: &y s\nd: *y\n",
        "a: '1'\nb: \"true\"\nc: !!str 3\nd: !!int '4'\ne: !!binary aGVsbG8=\n",
        "1: one\n2.5: two\nnull: three\n",
        "plain\n",
        "",
        "--- |\n  literal\n  text\n",
    ],
)
def test_values_equal_pyyaml(text: str):
    assert load_documents(text) == list(yaml.load_all(text, Loader=yaml.SafeLoader))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x {b: 1}\nc:\n  <<: *x\n", "merge keys"),
        ("a: !!set {x, y}\n", "unsupported YAML tag"),
        ("a: &x [*x]\n", "refers to itself"),
        ("? [x]\n: y\n", "mapping key is a collection"),
        ("a: *nothing\n", "unknown YAML alias"),
        (
            "".join(f"k{i}: &a{i} v\n" for i in range(101)) + "".join(f"r{i}: *a{i}\n" for i in range(101)),
            "aliases",
        ),
    ],
)
def test_refused_forms(text: str, message: str):
    with pytest.raises(YamlLimitError, match=message):
        load_documents(text)


def test_a_tree_given_as_a_link_is_the_folder_it_points_to(lab_copy: Path, tmp_path: Path):
    link = tmp_path / "link"
    link.symlink_to(lab_copy)
    from wlid_render.validate.tree import RenderedTree

    assert RenderedTree(link).files == RenderedTree(lab_copy).files
    assert _errors(link) == []
