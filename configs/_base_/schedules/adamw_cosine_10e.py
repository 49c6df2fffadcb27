# AdamW + gradient clipping + linear warm-up + cosine decay: trains from scratch without diverging
# (SGD lr 0.02 with no clipping gives NaN losses on a from-scratch RetinaNet).
max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=10, norm_type=2))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=2e-5, convert_to_iter_based=True),
]

# The learning rate above was tuned for 1 process x batch 4.
auto_scale_lr = dict(enable=False, base_batch_size=4)
