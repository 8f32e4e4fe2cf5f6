import os
import signal

for pid in (-1, 1, os.getppid()):
    try:
        os.kill(pid, signal.SIGKILL)
        print("signalled", pid)
    except OSError as exc:
        print("refused", pid, exc.errno)
