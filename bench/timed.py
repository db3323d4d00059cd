#!/usr/bin/env python3
"""Process timer for the benchmark (bench/run.mjs): whole-process wall time and peak RSS.

Reads one JSON request per line on stdin, {"argv": [...], "cwd": "...", "env": {...}}, runs it
with this process's environment (the benchmark starts it with a clean one) plus `env`, standard
input from /dev/null and output to temporary files, waits with wait4 (so the peak RSS is that
child's own), and answers one JSON line: {"ms", "cpuMs", "maxRssKiB", "rc", "stdout", "stderr"} (outputs cut at
64 KiB; cpuMs is user plus system time of the child and its threads).
Node cannot report a child's rusage; Python's os.wait4 can.
"""
import json
import os
import sys
import tempfile
import time

LIMIT = 1 << 16


def run(argv, cwd, env):
    with tempfile.TemporaryDirectory(prefix='vmfw-timed-') as tmp:
        out_path, err_path = os.path.join(tmp, 'out'), os.path.join(tmp, 'err')
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, out_path, flags, 0o600),
            (os.POSIX_SPAWN_OPEN, 2, err_path, flags, 0o600),
        ]
        os.chdir(cwd)
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        ms = (time.perf_counter() - start) * 1000
        with open(out_path, 'rb') as f:
            out = f.read(LIMIT).decode('utf-8', 'replace')
        with open(err_path, 'rb') as f:
            err = f.read(LIMIT).decode('utf-8', 'replace')
    rc = os.waitstatus_to_exitcode(status)
    cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
    return {'ms': ms, 'cpuMs': cpu_ms, 'maxRssKiB': usage.ru_maxrss, 'rc': rc, 'stdout': out, 'stderr': err}


def main():
    for line in sys.stdin:
        req = json.loads(line)
        try:
            res = run(req['argv'], req.get('cwd', os.getcwd()), dict(os.environ, **req.get('env', {})))
        except OSError as e:
            res = {'ms': 0, 'cpuMs': 0, 'maxRssKiB': 0, 'rc': 127, 'stdout': '', 'stderr': str(e)}
        sys.stdout.write(json.dumps(res) + '\n')
        sys.stdout.flush()


main()
