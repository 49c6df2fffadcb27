"""Errors that a user can act on.

Every error mmext raises for a user's mistake derives from :class:`MmextError`. Its message is complete on its
own (which file, which id, what is wrong, what to do), so the command-line tools print it as one line and exit
non-zero instead of showing a traceback from deep inside mmengine or mmdet.
"""


class MmextError(Exception):
    """A problem with the user's input (config, data, checkpoint, arguments) that the message explains."""

    #: In a distributed job, whether every rank raises this error at the same point (the ranks agreed on it), so
    #: the tools can end the process group cleanly (see ``mmext.compat.distributed.close_process_group``).
    on_every_rank = False


class ConfigError(MmextError):
    """A config file is missing, unreadable, or names something that does not exist."""


class DatasetError(MmextError):
    """An annotation file or image is missing or broken."""


class CheckpointError(MmextError):
    """A checkpoint is missing, unreadable, or refused for safety."""


class RegistrationError(MmextError):
    """A module could not be registered (for example its name is already taken)."""


class PluginError(MmextError):
    """A third-party plugin could not be loaded (its import raised, a hook does not match the contract, or it
    registers a name that is already taken); the message names the plugin and how to disable it."""


class NonFiniteLossError(MmextError):
    """Training stopped because the loss became NaN or infinite (the message names where and what to do).

    The guard all-reduces the verdict, so every rank raises it after the same iteration.
    """

    on_every_rank = True


class LaunchError(MmextError):
    """Processes cannot be started as asked (no GPU, port in use, conflicting flags)."""


class DiskFullError(CheckpointError):
    """The disk (or quota) filled up while a checkpoint was written; nothing already on disk was changed."""


class LogError(MmextError):
    """No scalar log can be found or read where one was expected."""


class SpaceError(MmextError):
    """The search-space file is missing, malformed, or names keys the config does not have."""


class SweepError(MmextError):
    """A sweep cannot start as asked (storage, sampler, pruner, direction)."""


class TrialFailure(MmextError):
    """A sweep trial cannot give a meaningful result (non-finite loss, no metric); the sweep records the reason."""


class InputError(MmextError):
    """An input given for inference (image, folder, glob, list file, video) does not exist or holds nothing to
    predict on."""


def first_few(items: list[str], shown: int = 3) -> str:
    """``'a, b, c and 4 more'``: the first items of a long list, for an error line."""
    more = f' and {len(items) - shown} more' if len(items) > shown else ''
    return ', '.join(items[:shown]) + more
