import inspect

from mmext.plugins import hookspecs

SPECS = [getattr(hookspecs, n) for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), 'mmext_spec')]


def test_the_contract_has_the_four_hooks_all_prefixed_documented_and_typed():
    names = {spec.__name__ for spec in SPECS}
    assert names == {'mmext_register_modules', 'mmext_config_folder', 'mmext_adjust_config', 'mmext_add_hooks'}
    for spec in SPECS:
        doc = inspect.getdoc(spec)
        assert 'When:' in doc and 'Returns:' in doc, spec.__name__
        assert 'return' in spec.__annotations__, spec.__name__
        # empty body: a docstring only
        assert inspect.getsource(spec).rstrip().endswith('"""'), spec.__name__
