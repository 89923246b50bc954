"""torchplug components of torchplug-newpack.

Import nothing here: `registry.get` imports a component's module on first use.
"""
