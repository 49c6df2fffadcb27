# Parameter groups from ordered regex rules on full parameter names (re.search; the first match wins, other
# parameters keep the defaults). A rule that matches nothing is an error listing the closest parameter names;
# parameters matched by several rules are reported under the summary table (here rule #1 also matches what #0
# took). mmengine's norm/bias decay options apply first and the rules multiply on top.
_base_ = '../demo/retinanet_r18_fpn_10e_demo.py'

optim_wrapper = dict(
    constructor='RuleBasedOptimWrapperConstructor',
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        rules=[
            dict(pattern=r'^backbone\.(conv1|bn1|layer1)\.', lr_mult=0.25),  # stem and first stage
            dict(pattern=r'^backbone\.', lr_mult=0.5),  # the rest of the backbone
            dict(pattern=r'^bbox_head\.retina_(cls|reg)\.', lr_mult=2.0, decay_mult=0.5),  # the final predictors
        ]))
