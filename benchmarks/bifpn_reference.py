"""mmdet's reference BiFPN (``projects/EfficientDet/efficientdet/bifpn.py``), loaded from a checkout, and a
weight mapping from it to mmext's BiFPN, so the two can be compared output for output and timed side by side.

mmdet's wheel does not ship ``projects/``; point ``--reference`` (or ``MMDET_EFFICIENTDET_DIR``) at the
``projects/EfficientDet/efficientdet`` folder of an mmdetection 3.x checkout. Nothing of it is copied here.

The reference is hard-wired to 3 inputs and 5 outputs (P3-P7), always has the 1x1 laterals, zero-pads its
max-pools and upsamples by exactly x2; mmext's BiFPN reproduces it with ``pool_padding='zeros'`` on inputs whose
sizes halve exactly (e.g. 512x512 images).
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
import types
from pathlib import Path

import torch

ENV_VAR = 'MMDET_EFFICIENTDET_DIR'
_PACKAGE = '_mmdet_efficientdet_reference'

# reference module path (below bifpn.<stage>.) -> mmext module path (below layers.<stage>. unless absolute)
_MODULES = [
    (r'p(\d)_down_channel', lambda n: f'td_laterals.{n - 3}'),
    (r'p(\d)_level_connection', lambda n: f'bu_laterals.{n - 4}'),
    (r'conv(\d)_up', lambda n: f'td_nodes.{n - 3}'),
    (r'conv(\d)_down', lambda n: f'bu_nodes.{n - 4}'),
    (r'p(\d)_w1', lambda n: f'td_nodes.{n - 3}.weight'),
    (r'p(\d)_w2', lambda n: f'bu_nodes.{n - 4}.weight'),
]
_LEAVES = {'down_conv': 'conv', 'bn': 'norm', 'depthwise_conv': 'conv_dw', 'pointwise_conv': 'conv_pw'}


def find_reference(path: str | None = None) -> Path | None:
    """The reference folder from ``path`` or ``$MMDET_EFFICIENTDET_DIR``, or None when neither has bifpn.py."""
    folder = path or os.environ.get(ENV_VAR)
    if folder and (Path(folder) / 'bifpn.py').is_file() and (Path(folder) / 'utils.py').is_file():
        return Path(folder)
    return None


def load_reference(folder: Path) -> type:
    """Import the reference ``bifpn.py`` (and its ``utils.py``) from ``folder``; return its ``BiFPN`` class.

    Only those two files are imported (not the project's ``__init__``, which needs timm and more). The
    reference registers itself as 'BiFPN' in mmdet's MODELS, which mmext already uses: mmext's entry is set
    aside during the import and put back after, so the registry is left as it was.
    """
    if f'{_PACKAGE}.bifpn' in sys.modules:
        return sys.modules[f'{_PACKAGE}.bifpn'].BiFPN
    from mmdet.registry import MODELS
    MODELS.get('BiFPN')  # the first lookup registers mmext's BiFPN (and mmdet's modules), so it is set aside below
    package = types.ModuleType(_PACKAGE)
    package.__path__ = [str(folder)]
    sys.modules[_PACKAGE] = package
    saved = {k: MODELS._module_dict.pop(k) for k in ('BiFPN', 'Conv2dSamePadding') if k in MODELS._module_dict}
    try:
        for name in ('utils', 'bifpn'):
            spec = importlib.util.spec_from_file_location(f'{_PACKAGE}.{name}', folder / f'{name}.py')
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
    finally:
        for key in ('BiFPN', 'Conv2dSamePadding'):
            MODELS._module_dict.pop(key, None)
        MODELS._module_dict.update(saved)
    return sys.modules[f'{_PACKAGE}.bifpn'].BiFPN


def convert_state_dict(reference: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename a reference BiFPN state dict (``bifpn.<stage>.<module>...``) to mmext's BiFPN names.

    Args:
        reference: The reference neck's ``state_dict()`` (strip a ``neck.`` prefix first).

    Returns:
        A state dict that ``mmext BiFPN(..., pool_padding='zeros').load_state_dict(..., strict=True)`` takes.

    Raises:
        KeyError: A key the reference layout does not have.
    """
    out = {}
    for key, value in reference.items():
        match = re.fullmatch(r'bifpn\.(\d+)\.(.+)', key)
        if match is None:
            raise KeyError(f'not a reference BiFPN key: {key}')
        stage, rest = match.groups()
        if rest.startswith('p5_to_p6.0.'):  # the P6 lateral (the pool has no weights)
            head, leaf = 'extra_levels.0.0', rest[len('p5_to_p6.0.'):]
        else:
            head, leaf = _rename_module(rest)
            head = f'layers.{stage}.{head}'
        for old, new in _LEAVES.items():
            leaf = re.sub(rf'^{old}\.', f'{new}.', leaf)
        out[f'{head}.{leaf}' if leaf else head] = value
    return out


def _rename_module(rest: str) -> tuple[str, str]:
    first, _, leaf = rest.partition('.')
    for pattern, target in _MODULES:
        match = re.fullmatch(pattern, first)
        if match:
            return target(int(match.group(1))), leaf
    raise KeyError(f'not a reference BiFPN module: {first}')


def build_pair(reference_cls: type, in_channels: list[int], width: int, repeats: int,
               start_level: int = 0, batches: list[list[torch.Tensor]] | None = None
               ) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The reference and an mmext BiFPN of the same configuration, holding the same (random) weights.

    The weights are :func:`realistic_weights`, calibrated on ``batches`` (default: two batches of random maps
    of 32x32, 16x16 and 8x8), so that the outputs in eval mode depend on the input as a trained neck's do.
    """
    from mmext.models.necks import BiFPN
    ref = reference_cls(num_stages=repeats, in_channels=list(in_channels), out_channels=width,
                        start_level=start_level)
    ours = BiFPN(in_channels=list(in_channels), out_channels=width, num_outs=5, start_level=start_level,
                 num_repeats=repeats, weighted='fast', pool_padding='zeros')
    if batches is None:
        batches = [[torch.randn(2, c, s, s) for c, s in zip(in_channels[start_level:], (32, 16, 8))]
                   for _ in range(2)]
    realistic_weights(ref, batches)
    ours.load_state_dict(convert_state_dict(ref.state_dict()), strict=True)
    return ref, ours


def realistic_weights(neck: torch.nn.Module, batches: list[list[torch.Tensor]]) -> None:
    """Give ``neck`` weights whose outputs really depend on the input, as a trained neck's, in place.

    Convolutions are fan-in scaled (std ``1 / sqrt(fan_in)``: each keeps its input's scale), biases, norm affine
    parameters and fusion weights random around their usual values, and every BN's running statistics the average
    of the batch statistics it sees on ``batches`` (train-mode forwards, cumulative averaging). With the
    default init instead, BN's unit running variance against the tiny activations of Xavier-initialised
    separable convs leaves the eval-mode outputs almost constant, and a wrong mapping of weights can hide there.
    """
    with torch.no_grad():
        for name, param in neck.named_parameters():
            module = neck.get_submodule(name.rpartition('.')[0])
            if isinstance(module, torch.nn.Conv2d) and name.endswith('weight'):
                param.normal_(0, (param[0].numel()) ** -0.5)  # fan-in: in_channels/groups * k * k
            elif isinstance(module, torch.nn.modules.batchnorm._BatchNorm) and name.endswith('weight'):
                param.copy_(1 + 0.2 * torch.randn_like(param))
            elif param.dim() == 1 and not name.endswith('bias'):  # fusion weights
                param.copy_(torch.rand_like(param) + 0.5)
            else:
                param.normal_(0, 0.1)
        norms = [m for m in neck.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        momenta = [m.momentum for m in norms]
        was_training = neck.training
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative: the running statistics become the batches' own
        neck.train()
        for batch in batches:
            neck(batch)
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        neck.train(was_training)
