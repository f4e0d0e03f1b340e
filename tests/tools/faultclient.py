#!/usr/bin/env python3
"""faultclient - keep mail flowing into an SMTP server, and remember what
the server accepted.

  faultclient.py --port N [--port N...] --dir OUT [options]

Sends messages to 127.0.0.1:N (a port chosen at random for each
connection when there are several), each with its own Message-ID
<fc.T.I.R@origin.test>, from sender@origin.test. Before a message is
sent its exact bytes (CR LF lines, not dot-stuffed: what the server must
store) are written to OUT/sent/KEY, KEY being the local part of the
Message-ID. When the server answers 250 to the final dot, a line
"KEY RCPT" is appended to OUT/acked. Any other outcome (a 4xx, a closed
or reset connection, a timeout) is counted and the client goes on with
a new connection: the server is being killed under it on purpose.

Options:
  --rcpt ADDR=WEIGHT  a recipient and its weight (repeatable; default
                      alice@example.com=1)
  --threads K         connections in parallel (2)
  --max N             at most N messages in all (2000)
  --seconds S         stop after S seconds (60)
  --stop FILE         stop as soon as FILE exists
  --big-every N       every Nth message is about 200 KB (5), the others
                      200 B to 20 KB; a big one is sent in pieces of 8 KB
                      2 ms apart (a slower client, so that the queue
                      writer it feeds lives long enough to be killed)
  --seed S            the seed of the random choices (ports, sizes,
                      recipients, keys), thread T using "S.T"; without
                      it, one from the pid and the time

Prints a summary line "sent N acked N failed N" at the end.
"""
import argparse
import os
import random
import socket
import threading
import time

lock = threading.Lock()
stats = {'sent': 0, 'acked': 0, 'failed': 0}


def body(rng, key, big):
    """A message: header, then lines of varying length, some starting
    with a period (dot-stuffing must be undone exactly)."""
    lines = [b'From: sender@origin.test',
             b'To: someone',
             b'Subject: fault ' + key.encode(),
             b'Message-ID: <' + key.encode() + b'@origin.test>',
             b'']
    size = rng.randint(150000, 250000) if big else rng.choice(
        [200, 600, 2000, 8000, 20000])
    n = 0
    i = 0
    while n < size:
        i += 1
        w = rng.randint(0, 120)
        ln = ('%s-%d-' % (key, i)).encode() + bytes(
            rng.choice(b'abcdefghijklmnopqrstuvwxyz0123456789 ')
            for _ in range(w))
        if i % 17 == 0:
            ln = b'.' + ln
        if i % 53 == 0:
            ln = b'.'
        lines.append(ln)
        n += len(ln) + 2
    lines.append(b'end of ' + key.encode())
    return b'\r\n'.join(lines) + b'\r\n'


def stuff(msg):
    out = []
    for ln in msg.split(b'\r\n')[:-1]:
        out.append(b'.' + ln if ln.startswith(b'.') else ln)
    return b'\r\n'.join(out) + b'\r\n.\r\n'


class Lost(Exception):
    pass


def reply(f):
    while True:
        ln = f.readline(1024)
        if not ln:
            raise Lost('closed')
        if len(ln) < 4 or ln[3:4] != b'-':
            return ln


def worker(args, tid, rcpts, weights, deadline):
    if args.seed is None:
        rng = random.Random(os.getpid() * 100 + tid + int(time.time()))
    else:
        rng = random.Random('%d.%d' % (args.seed, tid))
    i = 0
    acked = open(os.path.join(args.dir, 'acked'), 'a')
    while time.time() < deadline:
        if args.stop and os.path.exists(args.stop):
            return
        with lock:
            if stats['sent'] >= args.max:
                return
        s = None
        try:
            s = socket.create_connection(('127.0.0.1', rng.choice(args.port)),
                                         10)
            s.settimeout(20)
            f = s.makefile('rb')
            if not reply(f).startswith(b'220'):
                raise Lost('greeting')
            s.sendall(b'EHLO fault.test\r\n')
            if not reply(f).startswith(b'250'):
                raise Lost('ehlo')
            for _ in range(rng.randint(1, 3)):
                with lock:
                    if stats['sent'] >= args.max:
                        break
                    stats['sent'] += 1
                    n = stats['sent']
                i += 1
                key = 'fc.%d.%d.%x' % (tid, i, rng.getrandbits(32))
                rcpt = rng.choices(rcpts, weights)[0]
                msg = body(rng, key, args.big_every and n % args.big_every == 0)
                with open(os.path.join(args.dir, 'sent', key), 'wb') as out:
                    out.write(msg)
                s.sendall(b'MAIL FROM:<sender@origin.test>\r\n')
                if not reply(f).startswith(b'250'):
                    raise Lost('mail')
                s.sendall(b'RCPT TO:<' + rcpt.encode() + b'>\r\n')
                if not reply(f).startswith(b'250'):
                    raise Lost('rcpt')
                s.sendall(b'DATA\r\n')
                if not reply(f).startswith(b'354'):
                    raise Lost('data')
                wire = stuff(msg)
                if len(wire) > 100000:
                    for k in range(0, len(wire), 8192):
                        s.sendall(wire[k:k + 8192])
                        time.sleep(0.002)
                else:
                    s.sendall(wire)
                r = reply(f)
                if not r.startswith(b'250'):
                    raise Lost('dot: %r' % r)
                with lock:
                    stats['acked'] += 1
                    acked.write('%s %s\n' % (key, rcpt))
                    acked.flush()
            s.sendall(b'QUIT\r\n')
            reply(f)
        except (Lost, OSError):
            with lock:
                stats['failed'] += 1
            time.sleep(0.02)
        finally:
            if s is not None:
                s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, action='append', required=True)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--rcpt', action='append')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--max', type=int, default=2000)
    ap.add_argument('--seconds', type=float, default=60)
    ap.add_argument('--stop')
    ap.add_argument('--big-every', type=int, default=5)
    ap.add_argument('--seed', type=int)
    args = ap.parse_args()
    rcpts, weights = [], []
    for r in args.rcpt or ['alice@example.com=1']:
        a, _, w = r.partition('=')
        rcpts.append(a)
        weights.append(float(w or 1))
    os.makedirs(os.path.join(args.dir, 'sent'), exist_ok=True)
    deadline = time.time() + args.seconds
    ts = [threading.Thread(target=worker,
                           args=(args, t, rcpts, weights, deadline))
          for t in range(args.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print('sent %d acked %d failed %d' % (stats['sent'], stats['acked'],
                                           stats['failed']))


main()
