#!/usr/bin/env python3
"""rcptload - many RCPTs over several SMTP sessions at once, timed.

  rcptload.py PORT SESSIONS RCPTS BATCH PATTERN [MOD]

Opens SESSIONS connections to 127.0.0.1:PORT (one process each), says
EHLO, waits until all are ready, then in each session sends RCPTS
recipients in transactions of BATCH: "MAIL FROM", BATCH RCPTs, "RSET",
pipelined as one write (RFC 2920), and reads every reply. Recipient j of
session i is PATTERN % (i * RCPTS + j), e.g. "user%d@example.net", or
PATTERN % ((i * RCPTS + j) % MOD) with MOD.

Prints one line: "rcpts N seconds S rate R codes 250=.. 550=.. 451=..",
where S runs from the moment every session is ready to the last reply.
Exits 1 when a session failed.
"""
import multiprocessing as mp
import socket
import sys
import time


def session(i, port, rcpts, batch, pattern, mod, barrier, out):
    try:
        s = socket.create_connection(('127.0.0.1', port), 60)
        f = s.makefile('rb')

        def reply():
            while True:
                ln = f.readline()
                if not ln:
                    raise EOFError('connection closed')
                if len(ln) < 4 or ln[3:4] != b'-':
                    return ln[:3].decode('latin-1')

        reply()
        s.sendall(b'EHLO load%d.test\r\n' % i)
        reply()
        codes = {}
        barrier.wait(60)
        t0 = time.monotonic()
        j = 0
        while j < rcpts:
            n = min(batch, rcpts - j)
            cmds = [b'MAIL FROM:<load%d@origin.test>' % i]
            for k in range(j, j + n):
                cmds.append(b'RCPT TO:<%s>' %
                            (pattern % ((i * rcpts + k) % mod)).encode())
            cmds.append(b'RSET')
            s.sendall(b'\r\n'.join(cmds) + b'\r\n')
            if reply() != '250':
                raise RuntimeError('MAIL refused')
            for _ in range(n):
                c = reply()
                codes[c] = codes.get(c, 0) + 1
            reply()
            j += n
        t1 = time.monotonic()
        s.sendall(b'QUIT\r\n')
        reply()
        s.close()
        out.put((i, t0, t1, codes, None))
    except Exception as e:  # reported by the parent
        try:
            barrier.abort()
        except Exception:
            pass
        out.put((i, 0, 0, {}, repr(e)))


def main():
    port, sessions, rcpts, batch = (int(x) for x in sys.argv[1:5])
    pattern = sys.argv[5]
    mod = int(sys.argv[6]) if len(sys.argv) > 6 else sessions * rcpts
    barrier = mp.Barrier(sessions)
    out = mp.Queue()
    ps = [mp.Process(target=session, args=(i, port, rcpts, batch, pattern,
                                            mod, barrier, out))
          for i in range(sessions)]
    for p in ps:
        p.start()
    res = [out.get(timeout=600) for _ in ps]
    for p in ps:
        p.join(60)
    errs = [r[4] for r in res if r[4]]
    if errs:
        print('failed: %s' % '; '.join(errs))
        sys.exit(1)
    t0 = min(r[1] for r in res)
    t1 = max(r[2] for r in res)
    codes = {}
    for r in res:
        for c, n in r[3].items():
            codes[c] = codes.get(c, 0) + n
    total = sum(codes.values())
    print('rcpts %d seconds %.3f rate %.0f codes %s' % (
        total, t1 - t0, total / (t1 - t0),
        ' '.join('%s=%d' % kv for kv in sorted(codes.items()))))


main()
