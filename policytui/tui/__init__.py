"""The Textual user interface over `policytui.editor`. Build it with `make_app`."""

from policytui.tui.app import PolicyApp, make_app

__all__ = ["PolicyApp", "make_app"]
