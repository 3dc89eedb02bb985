"""policytui: build, check and enforce MCP gateway policies from the terminal."""

__version__ = "0.1.0"
