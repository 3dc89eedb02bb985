"""Arguments documented only in a tool's docstring (FastMCP's "Args:" sections) are read."""

from __future__ import annotations

from policytui.risk import classify
from policytui.risk.docstring_args import docstring_args, with_docstring_args
from policytui.toolinfo import ToolInfo

GOOGLE = """Fetch unread messages from the queue.

    Args:
        queue: Queue name.
        ack (bool): Acknowledge messages after reading
            (removes them from the queue).

    Returns:
        The messages.
"""

NUMPY = """Read the inbox.

Parameters
----------
folder : str
    Folder to read.
purge_read : bool
    Read messages are deleted from the server.
"""


def test_google_style_entries_with_types_and_continuation_lines():
    assert docstring_args(GOOGLE) == {
        "queue": "Queue name.",
        "ack": "Acknowledge messages after reading (removes them from the queue).",
    }


def test_numpy_style_entries():
    args = docstring_args(NUMPY)
    assert set(args) == {"folder", "purge_read"}
    assert args["purge_read"].endswith("Read messages are deleted from the server.")


def test_sphinx_param_lines():
    doc = "Fetch messages.\n\n:param queue: Queue name.\n:param bool ack: Acknowledge after " \
          "reading (removes them from the queue).\n:returns: The messages.\n"
    assert docstring_args(doc) == {
        "queue": "Queue name.", "ack": "Acknowledge after reading (removes them from the queue)."}
    c = classify(tool(doc, {"queue": {"type": "string"}, "ack": {"type": "boolean"}}),
                 use_annotations=False)
    assert c.category == "Destructive", c.evidence


def test_no_section_and_prose_with_a_colon_give_nothing():
    assert docstring_args("Get a user. Note: cached for a minute.") == {}
    assert docstring_args("") == {}


def test_only_undocumented_properties_take_the_docstring_text_and_the_schema_is_not_changed():
    schema = {"type": "object", "properties": {"queue": {"type": "string", "description": "Q"},
                                               "ack": {"type": "boolean"}}}
    merged = with_docstring_args(schema, GOOGLE)
    assert merged["properties"]["queue"]["description"] == "Q"
    assert "removes them" in merged["properties"]["ack"]["description"]
    assert "description" not in schema["properties"]["ack"]  # the tool's own schema is kept
    assert with_docstring_args(schema, "Fetch messages.") is schema
    assert with_docstring_args(None, GOOGLE) is None


def tool(description: str, properties: dict) -> ToolInfo:
    return ToolInfo(name="fetch_messages", description=description,
                    input_schema={"type": "object", "properties": properties}, annotations={})


def test_a_switch_the_docstring_says_removes_makes_a_reader_destructive():
    c = classify(tool(GOOGLE, {"queue": {"type": "string"}, "ack": {"type": "boolean"}}),
                 use_annotations=False)
    assert c.category == "Destructive", c.evidence
    assert any("'ack'" in line for line in c.evidence)
    c = classify(ToolInfo(name="read_inbox", description=NUMPY, annotations={}, input_schema={
        "type": "object", "properties": {"folder": {"type": "string"},
                                         "purge_read": {"type": "boolean"}}}),
                 use_annotations=False)
    assert c.category == "Destructive", c.evidence


def test_a_switch_the_docstring_documents_harmlessly_keeps_a_reader_read():
    doc = "Fetch messages.\n\nArgs:\n    queue: Queue name.\n    peek: Leave them unread.\n"
    c = classify(tool(doc, {"queue": {"type": "string"}, "peek": {"type": "boolean"}}),
                 use_annotations=False)
    assert c.category == "Read", c.evidence


def test_a_section_headed_arguments_or_keyword_arguments_is_read_too():
    # "Arguments:" and "Keyword Arguments:" hold neither "Args" nor "Param": the quick test
    # for a section must not skip them.
    for header in ("Arguments:", "Keyword Arguments:", "ARGUMENTS:"):
        doc = GOOGLE.replace("Args:", header)
        c = classify(tool(doc, {"queue": {"type": "string"}, "ack": {"type": "boolean"}}),
                     use_annotations=False)
        assert c.category == "Destructive", (header, c.evidence)
