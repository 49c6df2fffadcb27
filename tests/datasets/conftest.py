"""Fixtures for the dataset tests."""
import logging

import pytest
from mmengine.logging import MMLogger


class _Collect(logging.Handler):
    def __init__(self, sink: list) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


@pytest.fixture
def caplog_mm():
    """The messages logged through mmengine's current logger during the test."""
    messages: list[str] = []
    logger = MMLogger.get_current_instance()
    handler = _Collect(messages)
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)
