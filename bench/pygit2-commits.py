"""The commit workloads through libgit2 (pygit2).

Usage: python3 pygit2-commits.py w1 <repo> <payloads file> <n> <start> [<dir>]
       python3 pygit2-commits.py w2 <repo> <payloads file> <n>
The payloads (n x 1024 bytes, the k-th file's content at k * 1024) are made by
the Node worker, so that every system writes the same bytes. Prints JSON: ms
(the commits alone), check (the final root tree id), rssMB.

w1: n sequential commits, one 1 KiB file each, at d{i % 20}/f{i}.bin (or
<dir>/f{i}.bin).
w2: one commit of n files at a{i % 100}/b{i % 10}/f{i}.bin, built the way
libgit2 builds a tree from many paths: blobs, then an in-memory index.
"""
import json
import resource
import sys
import time

import pygit2


def w1(repo, datas, n, start, fixed_dir=None):
    head = repo.references["refs/heads/main"].target
    root = repo[head].tree
    sig = pygit2.Signature("bench", "bench@example.com", 1700000000, 0)
    t0 = time.perf_counter()
    for k in range(n):
        i = start + k
        d, name = fixed_dir or f"d{i % 20}", f"f{i}.bin"
        blob = repo.create_blob(datas[k])
        sub = repo.TreeBuilder(root[d]) if d in root else repo.TreeBuilder()
        sub.insert(name, blob, pygit2.GIT_FILEMODE_BLOB)
        top = repo.TreeBuilder(root)
        top.insert(d, sub.write(), pygit2.GIT_FILEMODE_TREE)
        root_id = top.write()
        # Moves the branch under its lock, and only if it still points at the parent.
        head = repo.create_commit("refs/heads/main", sig, sig, f"Write {d}/{name}\n", root_id, [head])
        root = repo[root_id]
    return time.perf_counter() - t0, root.id


def w2(repo, datas, n):
    head = repo.references["refs/heads/main"].target
    sig = pygit2.Signature("bench", "bench@example.com", 1700000000, 0)
    t0 = time.perf_counter()
    index = pygit2.Index()
    index.read_tree(repo[head].tree)
    for i in range(n):
        blob = repo.create_blob(datas[i])
        index.add(pygit2.IndexEntry(f"a{i % 100}/b{i % 10}/f{i}.bin", blob, pygit2.GIT_FILEMODE_BLOB))
    root_id = index.write_tree(repo)
    repo.create_commit("refs/heads/main", sig, sig, "bulk\n", root_id, [head])
    return time.perf_counter() - t0, root_id


workload, repo_path, payload_path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(payload_path, "rb") as f:
    payloads = f.read()
datas = [payloads[k * 1024 : (k + 1) * 1024] for k in range(n)]
repo = pygit2.Repository(repo_path)
if workload == "w1":
    seconds, tree = w1(repo, datas, n, int(sys.argv[5]), sys.argv[6] if len(sys.argv) > 6 else None)
else:
    seconds, tree = w2(repo, datas, n)
print(json.dumps({"ms": seconds * 1000, "check": str(tree), "rssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
