"""What an export returns: the text and the list of things that did not carry over exactly."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExportWarning:
    """One thing the target format could not express as written.

    `path` points into the source policy (e.g. `tools.delete_file.action`), so an editor can
    take the user there; `message` is one sentence saying what the export did instead.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class ExportResult:
    """The exported document as text (ends with a newline) and its warnings, in policy order."""

    text: str
    warnings: list[ExportWarning] = field(default_factory=list)
