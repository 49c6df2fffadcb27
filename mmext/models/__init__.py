"""Model parts (necks, ...) registered into mmdet's MODELS registry."""
from mmext.models import necks  # noqa: F401

__all__ = ['necks']
