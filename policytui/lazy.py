"""Packages whose names load on first use (PEP 562).

`policytui.editor`, `policytui.risk` and `policytui.discovery` re-export names from their
submodules, but importing the package must stay cheap: the editor paints its first frame before
pydantic, the classifier or the MCP SDK load. Each package lists where its names live and takes
its module `__getattr__` and `__dir__` from `lazy_names`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_names(
    package: str, homes: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, whose names live where `homes` says.

    A home is a submodule's name ("rows") or a full module path ("policytui.toolinfo"). A name,
    once loaded, is stored in the package, so later lookups skip `__getattr__`.
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = home if "." in home else f"{package}.{home}"
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(homes))

    return __getattr__, __dir__
