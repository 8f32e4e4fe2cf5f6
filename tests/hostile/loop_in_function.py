def spin(x):
    while True:
        x = x + 1
