"""The threats, cloud risks and practices the library answers, and how it answers them.

:mod:`.catalogue` holds the ids, :mod:`.coverage` maps practices to constructs and tests,
:mod:`.threat_model` maps threats to mitigations and residual risk, and :mod:`.render` writes
docs/practices.md and docs/threat-model.md from them and from the rule registry.
"""
