#!/usr/bin/env python3
"""rapport chat on a terminal (a pty), with readline: the confidence
check-in is stored, Ctrl-C clears the line and Ctrl-C twice leaves with
the conversation saved, and SIGTERM while readline waits restores the
terminal and saves the conversation too.

    python3 tests/history/terminal.py ./build/rapport
"""
import json
import os
import pty
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1])
HOME = tempfile.mkdtemp()
ENV = dict(os.environ, RAPPORT_HOME=HOME, NO_COLOR="1", TERM="dumb",
           HOME=HOME, XDG_STATE_HOME=HOME, COLUMNS="100", INPUTRC="/dev/null")
failed = 0


def check(name, ok):
    global failed
    print(("ok " if ok else "FAIL ") + name)
    failed += 0 if ok else 1


class Tty:
    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))
            os.execve(BIN, [BIN] + list(args), ENV)
        self.out = b""

    def expect(self, text, timeout=10):
        """Read until text appears after what was read so far."""
        start = len(self.out)
        deadline = time.time() + timeout
        while text.encode() not in self.out[start:]:
            if time.time() > deadline:
                raise TimeoutError(f"no {text!r} in {self.out[start:]!r}")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                raise EOFError(f"no {text!r} in {self.out[start:]!r}")
            self.out += chunk
        self.mark = start

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait(self):
        while True:  # drain, so that the child never blocks writing
            try:
                if not os.read(self.fd, 4096):
                    break
            except OSError:
                break
        _, status = os.waitpid(self.pid, 0)
        return status


def history():
    out = subprocess.run([BIN, "history", "--json"], env=ENV,
                         capture_output=True, check=True).stdout
    return json.loads(out)


def sessions():
    out = subprocess.run([BIN, "report", "--json"], env=ENV,
                         capture_output=True, check=True).stdout
    return json.loads(out)


try:
    # 1. Check-in 3, two turns, Ctrl-C on a typed line, Ctrl-C twice.
    t = Tty("chat", "rushed-alumnus", "--seed", "3")
    t.expect("confidence> ")
    t.send("3\r")
    t.expect("you> ")
    t.send("Hi Dana, I read about your move to transit planning.\r")
    t.expect("you> ")
    t.send("What was the hardest part of that move?\r")
    t.expect("you> ")
    t.send("half a sentence")
    time.sleep(0.2)
    t.send("\x03")
    t.expect("Ctrl-C again leaves")
    t.send("\x03")
    t.expect("confidence> ")
    t.send("4\r")
    t.expect("Report card: ")
    status = t.wait()
    check("Ctrl-C twice: exit status 0",
          os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
    s = sessions()
    check("Ctrl-C twice: saved, finished, two turns, the half line not said",
          s["finished"] and s["ended_by"] == "SIGINT" and s["turns"] == 2
          and [x["user"] for x in s["session"]["turns"]][-1]
          == "What was the hardest part of that move?")
    check("check-in before 3 and after 4 stored",
          s["confidence_before"] == 3 and s["confidence_after"] == 4)

    # 2. SIGTERM while readline waits for the second line.
    t = Tty("chat", "--no-checkin", "rushed-alumnus", "--seed", "3")
    t.expect("you> ")
    t.send("Hi Dana, I read about your move to transit planning.\r")
    t.expect("you> ")
    t.send("typed but not sent")
    time.sleep(0.2)
    os.kill(t.pid, signal.SIGTERM)
    t.expect("Report card: ")
    status = t.wait()
    check("SIGTERM at the prompt: exit status 143",
          os.WIFEXITED(status) and os.WEXITSTATUS(status) == 143)
    s = sessions()
    check("SIGTERM at the prompt: saved with its one turn",
          s["finished"] and s["ended_by"] == "SIGTERM" and s["turns"] == 1
          and s["confidence_before"] is None)
    check("history: both sessions", len(history()) == 2)
except (TimeoutError, EOFError) as e:
    check(f"conversation on a terminal: {e}", False)
finally:
    subprocess.run(["rm", "-rf", HOME])

print(f"terminal: {'all passed' if failed == 0 else f'{failed} failed'}")
sys.exit(1 if failed else 0)
