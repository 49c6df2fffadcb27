"""Layer ids of a backbone's parameters, for layer-wise learning-rate decay.

A layer id orders the backbone from the input (id 0, the stem) to the output (the last block); the neck and the
heads get the top id ``num_layers``. Rules per family (names as mmdet/mmpretrain register them):

- **ResNet** and its subclasses (ResNeXt, ResNetV1d, Res2Net, RegNet, ...): everything outside the residual
  layers (``conv1``/``bn1`` or ``stem.*``) is id 0; each block ``layer{i}.{j}`` gets its own id, 1, 2, ... in order.
- **SwinTransformer**: ``patch_embed`` and ``absolute_pos_embed`` are id 0; each block ``stages.{i}.blocks.{j}``
  gets its own id; a stage's ``downsample`` (applied after its blocks) and the output norm ``norm{i}`` take the id
  of that stage's last block.
- **ConvNeXt** (mmpretrain's, as ``mmpretrain.ConvNeXt``): ``downsample_layers.0`` (the stem) is id 0; each block
  ``stages.{i}.{j}`` gets its own id; ``downsample_layers.{i}`` (applied before stage i) takes the id of stage i's
  first block, ``norm{i}`` that of its last block.
- **Generic fallback** (opt-in): the backbone's children in registration order; a child that is a
  ``ModuleList``/``Sequential`` (a list of stages or blocks) contributes each of its children instead. Each such
  unit that holds parameters gets the next id, starting at 0; parameters owned by the backbone itself share id 0.
"""
from __future__ import annotations

import re
from typing import Callable

import torch.nn as nn

from mmext.errors import ConfigError

LayerIds = tuple[dict[str, int], int]  # ({parameter name inside the backbone: id}, num_layers = the top id)


def _resnet(backbone: nn.Module) -> LayerIds:
    block_id: dict[str, int] = {}
    for layer_name in backbone.res_layers:
        for j in range(len(getattr(backbone, layer_name))):
            block_id[f'{layer_name}.{j}'] = len(block_id) + 1
    ids = {name: block_id.get('.'.join(name.split('.')[:2]), 0) for name, _ in backbone.named_parameters()}
    return ids, len(block_id) + 1


def _numbered_blocks(backbone: nn.Module, block_re: str) -> dict[tuple[int, int], int]:
    """``{(stage, block): id}`` for parameter names matching ``block_re`` (two groups: stage, block), ids from 1."""
    keys = set()
    for name, _ in backbone.named_parameters():
        match = re.match(block_re, name)
        if match:
            keys.add((int(match.group(1)), int(match.group(2))))
    return {key: i + 1 for i, key in enumerate(sorted(keys))}


def _stage_ends(blocks: dict[tuple[int, int], int]) -> tuple[dict[int, int], dict[int, int]]:
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for (stage, _), lid in blocks.items():
        first[stage] = min(first.get(stage, lid), lid)
        last[stage] = max(last.get(stage, lid), lid)
    return first, last


def _staged(backbone: nn.Module, block_re: str, stage_parts: list[tuple[str, str]]) -> LayerIds:
    """Ids for a backbone of stages of blocks: each block its own id (from 1), other parts tied to a stage.

    Args:
        backbone: The backbone.
        block_re: Regex with groups (stage, block) for a block's parameter names.
        stage_parts: ``(regex with a stage group, 'first' | 'last')``: such parameters take the id of that stage's
            first or last block. Everything else (the stem) is id 0.
    """
    blocks = _numbered_blocks(backbone, block_re)
    ends = dict(zip(('first', 'last'), _stage_ends(blocks)))
    ids = {}
    for name, _ in backbone.named_parameters():
        block = re.match(block_re, name)
        ids[name] = blocks[(int(block.group(1)), int(block.group(2)))] if block else 0
        for part_re, end in stage_parts if not block else ():
            part = re.match(part_re, name)
            if part:
                ids[name] = ends[end][int(part.group(1))]
                break
    return ids, len(blocks) + 1


def _swin(backbone: nn.Module) -> LayerIds:
    return _staged(backbone, r'stages\.(\d+)\.blocks\.(\d+)\.',
                   [(r'stages\.(\d+)\.downsample\.', 'last'), (r'norm(\d+)\.', 'last')])


def _convnext(backbone: nn.Module) -> LayerIds:
    return _staged(backbone, r'stages\.(\d+)\.(\d+)\.',
                   [(r'downsample_layers\.([1-9]\d*)\.', 'first'), (r'norm(\d+)\.', 'last')])


def _generic(backbone: nn.Module) -> LayerIds:
    units: list[str] = []
    for child_name, child in backbone.named_children():
        members = child.named_children() if isinstance(child, (nn.ModuleList, nn.Sequential)) else [('', child)]
        for member_name, member in members:
            if any(True for _ in member.parameters()):
                units.append(f'{child_name}.{member_name}' if member_name else child_name)
    ids = {}
    for name, _ in backbone.named_parameters():
        ids[name] = next((i for i, unit in enumerate(units) if name.startswith(unit + '.')), 0)
    return ids, max(len(units), 1)


def _family(backbone: nn.Module) -> str | None:
    from mmdet.models.backbones import ResNet, SwinTransformer
    if isinstance(backbone, ResNet):
        return 'ResNet'
    if isinstance(backbone, SwinTransformer):
        return 'SwinTransformer'
    if type(backbone).__name__ == 'ConvNeXt' and hasattr(backbone, 'downsample_layers') and hasattr(
            backbone, 'stages'):
        return 'ConvNeXt'
    return None


RULES: dict[str, Callable[[nn.Module], LayerIds]] = {
    'ResNet': _resnet, 'SwinTransformer': _swin, 'ConvNeXt': _convnext, 'generic': _generic}
SUPPORTED = 'ResNet (and its subclasses: ResNeXt, ResNetV1d, Res2Net, RegNet), SwinTransformer, mmpretrain.ConvNeXt'


def assign_layer_ids(backbone: nn.Module, generic_fallback: bool = False) -> tuple[str, dict[str, int], int]:
    """Layer ids of every parameter of ``backbone``.

    Args:
        backbone: The backbone module (``model.backbone``).
        generic_fallback: Number an unsupported backbone by module order instead of raising.

    Returns:
        ``(family, {parameter name inside the backbone: id}, num_layers)``; ``num_layers`` is the id that the
        neck and heads get, one above the backbone's last.

    Raises:
        ConfigError: The backbone is not a supported family and ``generic_fallback`` is off.
    """
    family = _family(backbone)
    if family is None:
        if not generic_fallback:
            raise ConfigError(
                f'LayerDecayOptimWrapperConstructor: no layer-id rule for backbone {type(backbone).__name__}. '
                f'Supported: {SUPPORTED}. To number its layers by module order instead, set '
                'paramwise_cfg=dict(..., generic_fallback=True) (see mmext/optim/layer_ids.py for the rule).')
        family = 'generic'
    ids, num_layers = RULES[family](backbone)
    return family, ids, num_layers
