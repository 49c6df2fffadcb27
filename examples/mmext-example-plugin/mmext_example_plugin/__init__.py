"""An example mmext plugin: one hook and one config folder (see README.md).

Importing the package is cheap on purpose: mmext imports the entry point (``mmext_example_plugin.plugin``) at
``import mmext``, and the hook module only when ``mmext_register_modules`` is called.
"""
__version__ = '0.1.0'
