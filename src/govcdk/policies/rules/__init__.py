"""The rule pack: ``<service>/<rule_name>.py``, one ``RULE`` per module, discovered by
:func:`govcdk.policies.engine.load_rules`. Nothing here registers itself on import."""
