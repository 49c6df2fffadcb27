"""RuleBasedOptimWrapperConstructor: first match wins, exact values, unmatched and malformed rules."""
import pytest

from mmext.errors import ConfigError
from mmext.optim import RuleBasedOptimWrapperConstructor, format_param_group_summary
from tests.optim.test_layer_decay_constructor import OPTIM, groups_by_name, resnet18_detector

RULES = [
    dict(pattern=r'^backbone\.(conv1|bn1|layer1)\.', lr_mult=0.0),
    dict(pattern=r'^backbone\.', lr_mult=0.1, decay_mult=0.5),
    dict(pattern=r'bias$', decay_mult=0.0),
]


def test_first_match_wins_with_exact_values():
    model = resnet18_detector()
    wrapper = RuleBasedOptimWrapperConstructor(OPTIM, dict(rules=RULES))(model)
    groups = groups_by_name(model, wrapper)
    expected = {  # name: (lr, weight decay, rule)
        'backbone.conv1.weight': (0.0, 0.05, '#0'),
        'backbone.layer1.1.bn2.bias': (0.0, 0.05, '#0'),
        'backbone.layer2.0.conv1.weight': (0.001, 0.025, '#1'),
        'backbone.layer4.1.bn2.bias': (0.001, 0.025, '#1'),  # rule 2 matches too, rule 1 came first
        'neck.weight': (0.01, 0.05, 'default'),
        'neck.bias': (0.01, 0.0, '#2'),
    }
    for name, (lr, wd, rule) in expected.items():
        assert groups[name]['lr'] == pytest.approx(lr, abs=1e-15), name
        assert groups[name]['weight_decay'] == pytest.approx(wd, abs=1e-15), name
        assert groups[name]['rule'].startswith(rule), name
    assert groups['backbone.layer4.1.bn2.bias']['also_matched'] == [r'#2 bias$']
    summary = format_param_group_summary(model, wrapper)
    overlaps = [line for line in summary.splitlines() if line.startswith('overlap:')]
    # ResNet-18 by hand: rule 0 takes the stem (conv1, bn1: 3 tensors) and layer1 (2 blocks x 6 tensors) = 15,
    # all of which rule 1 matches too; 20 BatchNorm biases, 5 of them taken by rule 0 and 15 by rule 1, match rule 2
    assert overlaps == [
        r'overlap: rule #1 ^backbone\. also matches 15 parameter(s) taken by the earlier rule '
        r'#0 ^backbone\.(conv1|bn1|layer1)\. (first match wins)',
        r'overlap: rule #2 bias$ also matches 5 parameter(s) taken by the earlier rule '
        r'#0 ^backbone\.(conv1|bn1|layer1)\. (first match wins)',
        r'overlap: rule #2 bias$ also matches 15 parameter(s) taken by the earlier rule #1 ^backbone\. '
        r'(first match wins)']


def test_rule_matching_nothing_lists_the_closest_names():
    model = resnet18_detector()
    rules = [dict(pattern=r'^backbone\.layer5\.', lr_mult=0.1)]
    with pytest.raises(ConfigError, match=r"rule #0 pattern='\^backbone\\\\.layer5\\\\.' matches no parameter.*"
                                          r'Closest parameter names: backbone\.layer4\.1\.conv1\.weight, '
                                          r'backbone\.layer4\.0'):
        RuleBasedOptimWrapperConstructor(OPTIM, dict(rules=rules))(model)


@pytest.mark.parametrize('rules, message', [
    ([], 'must be a non-empty list'),
    ([dict(lr_mult=0.1)], r'rules\[0\]=.* must be a dict with a pattern'),
    ([dict(pattern='(', lr_mult=0.1)], r"rules\[0\].pattern='\(' is not a valid regex"),
    ([dict(pattern='neck', lr_mul=0.1)], r'rules\[0\] has unknown key\(s\) lr_mul'),
    ([dict(pattern='neck', lr_mult=-1)], r'rules\[0\].lr_mult=-1 must be a number >= 0'),
])
def test_malformed_rules_are_errors_at_build(rules, message):
    with pytest.raises(ConfigError, match=message):
        RuleBasedOptimWrapperConstructor(OPTIM, dict(rules=rules))
