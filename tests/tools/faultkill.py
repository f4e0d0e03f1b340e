#!/usr/bin/env python3
"""faultkill - SIGKILL random processes of the test's own process groups
at random moments.

  faultkill.py --rounds N --log FILE --group PGID [--group PGID ...]

Only processes whose process group is one of the PGIDs given (groups the
test started with setsid) are ever looked at, so nothing else on the
machine can be hit. The victims, by kind:

  smtpd       snf-smtpd serving a connection (its parent is not snf-smtpd)
  writer      the queue writer of a snf-smtpd session: snf-queue run by
              snf-smtpd (SNF_QUEUE), or a child snf-smtpd forked (a build
              whose built-in writer runs in a child)
  send        the snf-send service (its parent is not snf-send)
  send-child  a delivery child of snf-send (also one whose parent was
              killed: it lives on in the group)
  expire      snf-expire, or the report writer it forked

Each round sleeps a random time between --min and --max seconds, picks
a kind at random (among --kind KIND, repeatable; default all), waits at
most --wait seconds (1) for a process of that kind to exist (the queue
writer and snf-expire live only for moments), and kills one of them at
random. A round that finds no victim kills nothing. Stops after
--rounds rounds or --seconds seconds. Each kill is one line
"KIND PID" of the log; the summary "kills N kind=n ..." goes to stdout.
--seed S seeds the random choices (times, kinds, victims); without it
they are new each run.
"""
import argparse
import os
import random
import signal
import time


KINDS = ['smtpd', 'writer', 'send', 'send-child', 'expire']


def procs(groups):
    """pid -> (comm, ppid) for the processes of the given groups."""
    out = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        i, j = st.find('('), st.rfind(')')
        comm = st[i + 1:j]
        f = st[j + 2:].split()
        if f[0] == 'Z':
            continue
        ppid, pgrp = int(f[1]), int(f[2])
        if pgrp in groups:
            out[int(d)] = (comm, ppid)
    return out


def kinds(ps):
    k = {}
    for pid, (comm, ppid) in ps.items():
        parent = ps.get(ppid, ('', 0))[0]
        if comm == 'snf-smtpd':
            kind = 'writer' if parent == 'snf-smtpd' else 'smtpd'
        elif comm == 'snf-queue' and parent == 'snf-smtpd':
            kind = 'writer'
        elif comm == 'snf-send':
            kind = 'send-child' if parent == 'snf-send' or ppid not in ps \
                else 'send'
        elif comm == 'snf-expire':
            kind = 'expire'
        else:
            continue
        k.setdefault(kind, []).append(pid)
    return k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--group', type=int, action='append', required=True)
    ap.add_argument('--min', type=float, default=0.05)
    ap.add_argument('--max', type=float, default=0.3)
    ap.add_argument('--seconds', type=float, default=120)
    ap.add_argument('--wait', type=float, default=1)
    ap.add_argument('--kind', action='append')
    ap.add_argument('--seed', type=int)
    args = ap.parse_args()
    groups = set(args.group)
    rng = random.Random(args.seed)
    count = {}
    deadline = time.time() + args.seconds
    with open(args.log, 'a') as log:
        for _ in range(args.rounds):
            if time.time() > deadline:
                break
            time.sleep(rng.uniform(args.min, args.max))
            kind = rng.choice(args.kind or KINDS)
            until = time.time() + args.wait
            while True:
                k = kinds(procs(groups))
                if kind in k or time.time() > until:
                    break
                time.sleep(0.005)
            if kind not in k:
                continue
            pid = rng.choice(k[kind])
            if pid not in procs(groups):	# gone, or no longer ours
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
            count[kind] = count.get(kind, 0) + 1
            log.write('%s %d\n' % (kind, pid))
            log.flush()
    print('kills %d %s' % (sum(count.values()), ' '.join(
        '%s=%d' % kv for kv in sorted(count.items()))))


main()
