"""The README's recipes run as written and answer what the README shows.

Each recipe of the README's "Recipes" section is a ``kg query`` command in an
``sh`` block followed by its output in a ``text`` block, on the store ``make
demo`` builds from ``data/samples`` (``out/demo-store``). Here every command
runs on the same store, built by the real pipeline (the ``samples_store``
fixture), and its output must be the one shown, so the README cannot drift.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from kg.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
RECIPE = re.compile(r"```sh\n(?P<command>kg query.*?)\n```\n\n```text\n(?P<output>.*?)\n```", re.S)


def recipes() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Recipes"):]
    section = section[:section.index("\n## ")]
    return [(m.group("command"), m.group("output")) for m in RECIPE.finditer(section)]


def test_the_readme_has_its_five_recipes():
    found = recipes()
    assert len(found) == 5
    assert all("--store out/demo-store" in command for command, _ in found)


@pytest.mark.model
@pytest.mark.parametrize("command, output", recipes(), ids=[f"recipe-{i + 1}" for i in range(len(recipes()))])
def test_a_recipe_gives_the_output_the_readme_shows(command, output, samples_store, capsys):
    words = shlex.split(command)
    assert words[:2] == ["kg", "query"]
    args = [str(samples_store) if w == "out/demo-store" else w for w in words[1:]]
    assert main(args) == 0
    assert capsys.readouterr().out.rstrip("\n") == output
