"""`policytui serve`: the policy editor in a browser, through textual-serve.

Each browser connection runs the same program as `policytui connect`, as a child process
(`policytui.serve.session`). The web server around it adds what a terminal never needed:
an access token on every request (`access`), one editing session per policy file (`lock`),
and its own page and server (`server`).
"""

# The environment variable that names, to each editor process, the server that started it.
SERVER_PID_VARIABLE = "POLICYTUI_SERVE_PID"
