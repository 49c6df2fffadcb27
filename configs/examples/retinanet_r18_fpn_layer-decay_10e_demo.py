# Layer-wise lr decay: lr = base_lr * decay_rate ** (num_layers - layer_id), stem id 0, each ResNet block the
# next id, neck and head the top id (base_lr). Also works for ResNeXt, Swin, ConvNeXt, and (generic_fallback=True)
# any other backbone by module order. Usual with a pretrained backbone; the summary table shows every layer's lr.
_base_ = '../demo/retinanet_r18_fpn_10e_demo.py'

optim_wrapper = dict(
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        decay_rate=0.9,
        norm_decay_mult=0.0,
        bias_decay_mult=0.0))
