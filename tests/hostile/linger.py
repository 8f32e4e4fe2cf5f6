# A thread that never ends, and (if processes can be made) a child that never ends.
import os
import threading
import time


def forever():
    while True:
        time.sleep(0.01)


threading.Thread(target=forever).start()
try:
    if os.fork() == 0:
        forever()
except OSError as exc:
    print("fork refused:", exc)
