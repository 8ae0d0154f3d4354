"""Docs cannot drift: every hook is documented in docs/hooks.md with its current signature,
and every configuration setting in docs/configuration.md."""

from __future__ import annotations

import dataclasses
import inspect
import pathlib

from bastion.runtime import hookspecs
from bastion.runtime.config import Settings
from bastion.runtime.plugin_manager import make_plugin_manager

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def signature_line(name: str) -> str:
    fn = getattr(hookspecs, name)
    sig = inspect.signature(fn)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"{name}({params}) -> {sig.return_annotation}"


def hook_names() -> list[str]:
    pm = make_plugin_manager(load_entrypoints=False)
    return sorted(name for name in vars(pm.hook) if name.startswith("bastion_"))


def test_every_hook_is_documented_with_its_signature() -> None:
    text = (DOCS / "hooks.md").read_text()
    names = hook_names()
    assert len(names) >= 10
    missing = [n for n in names if f"### `{signature_line(n)}`" not in text]
    assert not missing, f"undocumented or stale hooks in docs/hooks.md: {missing}"


def test_every_hookspec_has_a_docstring() -> None:
    for name in hook_names():
        doc = getattr(hookspecs, name).__doc__ or ""
        assert len(doc.strip()) > 40, f"{name} has no useful docstring"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [f.name for f in dataclasses.fields(Settings) if f"`{f.name}`" not in text]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"
