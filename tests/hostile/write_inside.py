import os

with open("notes.txt", "w") as f:
    f.write("scratch is writable")
print(sorted(os.listdir(".")))
