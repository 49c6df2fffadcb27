"""ParamGroupSummaryHook: logs the table once at the start of training, on rank 0."""
import logging
from types import SimpleNamespace

import pytest
from mmengine.optim import DefaultOptimWrapperConstructor

from mmext.errors import ConfigError
from mmext.hooks import ParamGroupSummaryHook
from tests.optim.test_layer_decay_constructor import OPTIM, resnet18_detector


def test_logs_the_table_at_before_train(caplog):
    model = resnet18_detector()
    wrapper = DefaultOptimWrapperConstructor(OPTIM, dict(custom_keys={'backbone': dict(lr_mult=0.1)}))(model)
    logger = logging.getLogger('test_param_group_summary')
    runner = SimpleNamespace(model=model, optim_wrapper=wrapper, logger=logger)
    with caplog.at_level(logging.INFO, logger=logger.name):
        ParamGroupSummaryHook().before_train(runner)
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert message.startswith('parameter groups (ParamGroupSummaryHook):\noptimizer AdamW: 62 parameter group(s)')
    assert '0  backbone.*  60       11,176,512  0.001  0.1' in message


def test_bad_argument():
    with pytest.raises(ConfigError, match='max_patterns=0 must be an int >= 1'):
        ParamGroupSummaryHook(max_patterns=0)
