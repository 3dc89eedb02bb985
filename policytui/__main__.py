from policytui.cli import entry

entry()
