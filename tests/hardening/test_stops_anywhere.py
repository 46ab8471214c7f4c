"""A stop signal ends the command cleanly wherever it lands: inside a finaliser or a weakref
callback (where Python cannot pass an exception on; the import system runs one each time a
module lock is dropped), inside text run by exec (dataclasses build their methods so), and,
once every output is written, it no longer interrupts at all.

Each case runs the console entry point (`storyboard.cli.run`) in its own process, with the
signal sent by the process itself at the moment under test."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.hardening.cli_mistakes import GOOD

_LANDS_IN = {
    "weakref callback": """
        class Thing:
            pass

        def callback(ref):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000):  # bytecodes: the handler runs here, inside the callback
                pass

        def work(argv=None):
            thing = Thing()
            ref = weakref.ref(thing, callback)
            del thing
            for _ in range(100):  # a second of work, which the stop should have ended
                time.sleep(0.01)
            print("the work went on", flush=True)
            return 0
    """,
    "finaliser": """
        class Thing:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(10_000):
                    pass

        def work(argv=None):
            Thing()
            for _ in range(100):  # a second of work, which the stop should have ended
                time.sleep(0.01)
            print("the work went on", flush=True)
            return 0
    """,
}


def _command(code: str, cwd) -> subprocess.CompletedProcess:
    head = "import os, signal, sys, time, weakref\nfrom storyboard import cli\n"
    return subprocess.run([sys.executable, "-c", head + textwrap.dedent(code)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("where", list(_LANDS_IN))
def test_a_stop_inside_code_that_cannot_raise_still_interrupts(tmp_path, where):
    code = textwrap.dedent(_LANDS_IN[where]) + "\ncli.main = work\nsys.argv = ['storyboard']\ncli.run()\n"
    done = _command(code, tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (130, "interrupted\n", "")


def test_a_stop_after_every_output_is_written_is_ignored(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    done = _command("""
        import storyboard.cli.render as command

        said = command.summary_line

        def stopped_while_saying(result):  # the outputs are written; the summary is being made
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000):
                pass
            return said(result)

        command.summary_line = stopped_while_saying
        sys.argv = ["storyboard", "render", "good.yaml", "--no-cache"]
        cli.run()
    """, tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith("wrote good.pdf: 1 page") and (tmp_path / "good.pdf").stat().st_size > 0


def test_a_stop_inside_text_run_by_exec_exits_130_under_python_m(tmp_path):
    # `python -m`: CPython would end the process by SIGINT (-2) after the caught interrupt,
    # delivered to another thread than the main one, which holds it (a render has several).
    (tmp_path / "stopped_in_exec.py").write_text(textwrap.dedent("""
        import sys, threading, time
        from storyboard import cli

        def work(argv=None):
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
            exec("import os, signal\\nos.kill(os.getpid(), signal.SIGINT)\\nfor _ in range(10_000): pass")
            time.sleep(1)
            print("the work went on", flush=True)
            return 0

        cli.main = work
        sys.argv = ["storyboard"]
        cli.run()
    """))
    done = subprocess.run([sys.executable, "-m", "stopped_in_exec"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stderr, done.stdout) == (130, "interrupted\n", "")
