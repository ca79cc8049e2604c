"""Integrations: twinsql inside the frameworks teams already use.

Each integration is a subpackage that imports its framework itself; nothing else in
twinsql imports an integration, so the core never needs the framework installed.
"""
