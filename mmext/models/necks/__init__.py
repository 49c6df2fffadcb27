"""Necks, registered into mmdet's MODELS so that ``neck=dict(type='BiFPN', ...)`` works in any mmdet config."""
from mmext.models.necks.bifpn import BIFPN_PRESETS, BiFPN

__all__ = ['BiFPN', 'BIFPN_PRESETS']
