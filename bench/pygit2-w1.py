"""W1 through libgit2 (pygit2): n sequential commits, one 1 KiB file each.

Usage: python3 pygit2-w1.py <repo> <payloads file> <n> <start>
The payloads (n x 1024 bytes, file i's content at (i - start) * 1024) are made
by the Node worker, so that every system writes the same bytes. Prints JSON:
ms (the commits alone), check (the final root tree id), rssMB.
"""
import json
import resource
import sys
import time

import pygit2

repo_path, payload_path, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(payload_path, "rb") as f:
    payloads = f.read()
datas = [payloads[k * 1024 : (k + 1) * 1024] for k in range(n)]

repo = pygit2.Repository(repo_path)
head = repo.references["refs/heads/main"].target
root = repo[head].tree
sig = pygit2.Signature("bench", "bench@example.com", 1700000000, 0)

t0 = time.perf_counter()
for k in range(n):
    i = start + k
    d, name = f"d{i % 20}", f"f{i}.bin"
    blob = repo.create_blob(datas[k])
    sub = repo.TreeBuilder(root[d]) if d in root else repo.TreeBuilder()
    sub.insert(name, blob, pygit2.GIT_FILEMODE_BLOB)
    top = repo.TreeBuilder(root)
    top.insert(d, sub.write(), pygit2.GIT_FILEMODE_TREE)
    root_id = top.write()
    # Moves the branch under its lock, and only if it still points at the parent.
    head = repo.create_commit("refs/heads/main", sig, sig, f"Write {d}/{name}\n", root_id, [head])
    root = repo[root_id]
ms = (time.perf_counter() - t0) * 1000

print(json.dumps({"ms": ms, "check": str(root.id), "rssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
