"""The progress line: count, images/s, elapsed, ETA; in place on a terminal, rarely in a log."""
import io

from mmext.inference.progress import Progress


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_the_line_says_count_rate_and_eta():
    bar = Progress(10, stream=io.StringIO())
    bar.start -= 2.0  # two seconds ago
    bar.update(4)
    line = bar.line()
    assert '[########------------] 4/10 images' in line and '2.0 images/s' in line and 'ETA 3s' in line


def test_a_log_gets_few_lines_a_terminal_one_redrawn_line():
    log = io.StringIO()
    bar = Progress(100, stream=log, log_every=3600)
    for _ in range(100):
        bar.update()
    bar.close()
    assert log.getvalue().count('\n') == 1 and '100/100 images' in log.getvalue()
    tty = Tty()
    bar = Progress(0, unit='frames', stream=tty)
    bar.update(5)
    bar.close()
    assert tty.getvalue().startswith('\r') and '5 frames' in tty.getvalue() and tty.getvalue().endswith('\n')
    quiet = io.StringIO()
    Progress(3, stream=quiet, enabled=False).close()
    assert quiet.getvalue() == ''
