"""A read-only view of a long Rich renderable: the JSON and Diff panels.

A Static lays out and paints every line of its content, and renders it again for each: the
4,000 highlighted lines the JSON panel shows at 10,000 tools froze the screen for most of a
second when the tab opened, and again after every edit while it showed. This view renders its
renderable once per width, in a thread (with a console of its own: Rich's holds a lock while
it renders), and paints only the lines in sight; the screen keeps painting meanwhile.
"""

from __future__ import annotations

import asyncio
import io

from rich.console import Console, RenderableType
from rich.style import Style
from textual import work
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class CodeView(ScrollView):
    """Shows `show(renderable)`'s lines, as a Static in a VerticalScroll would, cropped at
    the width (code is not wrapped)."""

    DEFAULT_CSS = """
    CodeView { height: 1fr; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._renderable: RenderableType | None = None
        self._lines: list[Strip] = []
        self._drawn_at: tuple[int, Style] | None = None  # the width and style the lines were rendered at

    def show(self, renderable: RenderableType) -> None:
        """Render `renderable` in a thread; its lines replace the ones shown once it is done."""
        self._renderable = renderable
        self._drawn_at = None
        self._render_lines()

    @property
    def lines(self) -> list[Strip]:
        """The lines shown, each as wide as the view was when they were rendered."""
        return self._lines

    def on_resize(self) -> None:
        self._render_if_stale()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._render_if_stale()

    def _render_if_stale(self) -> None:
        if self._renderable is not None and self._drawn_at != self._rendering_at():
            self._render_lines()

    def _rendering_at(self) -> tuple[int, Style]:
        return self.scrollable_content_region.width, self.rich_style

    @work(exclusive=True, group="code-view", exit_on_error=False)
    async def _render_lines(self) -> None:
        renderable = self._renderable
        width, style = at = self._rendering_at()
        if renderable is None or width <= 0:
            return  # not laid out yet: the resize that follows renders it
        options = self.app.console.options.update(width=width, height=None)

        def render() -> list[Strip]:
            console = Console(file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True,
                              legacy_windows=False)
            return [Strip(line, width) for line in console.render_lines(renderable, options, style=style)]

        lines = await asyncio.to_thread(render)
        if renderable is not self._renderable:
            return  # replaced while it rendered: the newer one's worker shows it
        self._lines, self._drawn_at = lines, at
        self.virtual_size = Size(width, len(lines))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop_extend(0, width, self.rich_style)
