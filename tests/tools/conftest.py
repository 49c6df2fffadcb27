"""The set-up tools (tools/check_stack.py and its helpers) import each other by module name, as scripts do."""
import sys
from pathlib import Path

TOOLS = str(Path(__file__).resolve().parents[2] / 'tools')
if TOOLS not in sys.path:
    sys.path.append(TOOLS)  # appended: tools/test.py must not hide the standard library's `test`
