"""The policy document: model (`model`), JSON Schema (`schema`), validation with positions
(`validate`, `jsonpos`, `legacy`), and the one module that reads and writes files (`files`).

Nothing is imported here, so `import policytui.policy.model` stays cheap.
"""
