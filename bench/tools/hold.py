#!/usr/bin/env python3
"""hold - open N SMTP sessions to 127.0.0.1:PORT, say EHLO and MAIL FROM
on each, then keep them open until stdin closes (or for SECS seconds).

  hold.py PORT N [SECS]
Prints "ready" once every session got its reply, then waits."""
import socket
import sys
import time


def reply(s):
    buf = b''
    while True:
        d = s.recv(4096)
        if not d:
            raise SystemExit('connection closed')
        buf += d
        lines = buf.split(b'\r\n')
        for ln in lines[:-1]:
            if len(ln) >= 4 and ln[3:4] == b' ':
                return ln


port, n = int(sys.argv[1]), int(sys.argv[2])
secs = float(sys.argv[3]) if len(sys.argv) > 3 else 3600
socks = []
for i in range(n):
    s = socket.create_connection(('127.0.0.1', port), 10)
    reply(s)
    s.sendall(b'EHLO bench.invalid\r\n')
    reply(s)
    s.sendall(b'MAIL FROM:<sender@origin.test>\r\n')
    reply(s)
    socks.append(s)
print('ready', flush=True)
end = time.time() + secs
try:
    while time.time() < end:
        if sys.stdin.readable() and not sys.stdin.isatty():
            if sys.stdin.read(1) == '':
                break
        time.sleep(0.1)
finally:
    for s in socks:
        try:
            s.sendall(b'QUIT\r\n')
            s.close()
        except OSError:
            pass
