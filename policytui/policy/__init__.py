"""The policy document: model (`model`), JSON Schema (`schema`), validation with positions
(`validate`, `jsonpos`, `legacy`), the pydantic-free check and view that `validate` and `check`
use for a valid file (`plain`, with the rules it shares with the model in `rules`), and the one
module that reads and writes files (`files`).

Nothing is imported here, so `import policytui.policy.model` stays cheap.
"""
