"""Bastion's built-in plugins. Each registers through the ``bastion.plugins`` entry-point
group exactly like a third-party plugin, and uses only the hooks in
:mod:`bastion.runtime.hookspecs`."""
