#!/usr/bin/env python3
"""smtpchat - drive an SMTP server with exact bytes and check its replies.

  smtpchat.py --tcp HOST PORT SCRIPT
  smtpchat.py --stdio SCRIPT -- COMMAND [ARG...]

SCRIPT is a file ("-" for stdin) of lines:
  > TEXT      send TEXT and CR LF
  >> TEXT     send TEXT only (no CR LF added)
  < CODE      read one reply (all its lines); its code must be CODE
              (a prefix such as "25" or "5" also works)
  <~ REGEX    read one reply; its last line must match REGEX
  <* REGEX    read one reply; one of its lines must match REGEX
  <! REGEX    read one reply; none of its lines may match REGEX
  tls         start TLS on the connection (--tcp; after the server's 220
              to STARTTLS), trusting any certificate; prints the
              protocol and cipher as "TLS: VERSION CIPHER"
  quiet SECS  nothing may come from the server for SECS seconds
  eof         the server must close the connection (after any output)
  shut        close our sending side
  sleep SECS  pause
  # ...       comment
TEXT may use \\r \\n \\0 \\t \\\\ and \\xNN escapes. Each reply read waits at
most --timeout seconds (default 10). Prints the transcript; exits 0 when
every expectation held, 1 otherwise.
"""
import re
import select
import socket
import ssl
import subprocess
import sys
import time


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n == 'x' and i + 3 < len(s) + 1:
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out += {'r': b'\r', 'n': b'\n', '0': b'\0', 't': b'\t',
                    '\\': b'\\'}.get(n, ('\\' + n).encode())
            i += 2
            continue
        out += c.encode('latin-1')
        i += 1
    return bytes(out)


class Peer:
    def __init__(self, args, timeout):
        self.timeout = timeout
        self.buf = b''
        self.proc = None
        self.tls = None
        if args.tcp:
            self.sock = socket.create_connection((args.tcp[0],
                                                  int(args.tcp[1])), 10)
            self.rfd = self.sock.fileno()
        else:
            self.proc = subprocess.Popen(args.cmd, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE)
            self.sock = None
            self.rfd = self.proc.stdout.fileno()

    def send(self, data):
        try:
            if self.tls:
                self.tls.sendall(data)
            elif self.sock:
                self.sock.sendall(data)
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def starttls(self):
        """TLS on the connection, any certificate taken; the version
        and cipher, or None with the reason."""
        if not self.sock:
            return None, 'tls needs --tcp'
        if self.buf:
            return None, 'the server sent %r behind its 220' % self.buf
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock.settimeout(self.timeout)
        try:
            self.tls = ctx.wrap_socket(self.sock)
        except (OSError, ssl.SSLError) as e:
            return None, str(e)
        self.tls.setblocking(False)
        return '%s %s' % (self.tls.version(), self.tls.cipher()[0]), None

    def quiet(self, secs):
        """Nothing from the server for secs seconds: None, else what came."""
        deadline = time.monotonic() + secs
        d = self.fill(deadline)
        return d

    def shut(self):
        if self.sock:
            (self.tls or self.sock).shutdown(socket.SHUT_WR)
        else:
            self.proc.stdin.close()

    def fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if self.tls and self.tls.pending():
            r = [self.rfd]
        else:
            r, _, _ = select.select([self.rfd], [], [], left)
        if not r:
            return None
        try:
            if self.tls:
                d = self.tls.recv(65536)
            elif self.sock:
                d = self.sock.recv(65536)
            else:
                import os
                d = os.read(self.rfd, 65536)
        except ConnectionResetError:
            d = b''
        except ssl.SSLWantReadError:
            return self.fill(deadline)	# a record not yet whole
        except ssl.SSLError:
            d = b''
        return d

    def line(self, deadline):
        while b'\n' not in self.buf:
            d = self.fill(deadline)
            if d is None:
                return None, 'timeout'
            if d == b'':
                return None, 'eof'
            self.buf += d
        i = self.buf.index(b'\n') + 1
        ln, self.buf = self.buf[:i], self.buf[i:]
        return ln, None

    def reply(self):
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            ln, err = self.line(deadline)
            if ln is None:
                return lines, err
            lines.append(ln)
            if len(ln) < 4 or ln[3:4] != b'-':
                return lines, None

    def expect_eof(self):
        deadline = time.monotonic() + self.timeout
        while True:
            d = self.fill(deadline)
            if d is None:
                return False
            if d == b'':
                return True
            self.buf += d

    def close(self):
        if self.tls:
            self.tls.close()
        elif self.sock:
            self.sock.close()
        else:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(self.timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def expect_lines(peer, raw):
    """<* and <!: one reply, some line (or no line) matching."""
    lines, err = peer.reply()
    for ln in lines:
        print('S: %r' % ln)
    if err or not lines:
        print('FAIL: wanted a reply, got %s' % err)
        return False
    hits = [ln for ln in lines
            if re.search(raw[3:], ln.decode('latin-1').rstrip('\r\n'))]
    if raw.startswith('<* ') and not hits:
        print('FAIL: no line matches %r' % raw[3:])
        return False
    if raw.startswith('<! ') and hits:
        print('FAIL: a line matches %r' % raw[3:])
        return False
    return True


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument('--tcp', nargs=2)
    ap.add_argument('--stdio', action='store_true')
    ap.add_argument('--timeout', type=float, default=10)
    ap.add_argument('script')
    ap.add_argument('cmd', nargs='*')
    args = ap.parse_args()
    src = sys.stdin if args.script == '-' else open(args.script)
    peer = Peer(args, args.timeout)
    good = True
    for raw in src:
        raw = raw.rstrip('\n')
        if not raw or raw.startswith('#'):
            continue
        if raw.startswith('>> '):
            data = unescape(raw[3:])
            print('C: %r' % data)
            peer.send(data)
        elif raw.startswith('> '):
            data = unescape(raw[2:]) + b'\r\n'
            print('C: %r' % data)
            peer.send(data)
        elif raw.startswith('<* ') or raw.startswith('<! '):
            if not expect_lines(peer, raw):
                good = False
                break
        elif raw.startswith('<~ ') or raw.startswith('< '):
            lines, err = peer.reply()
            for ln in lines:
                print('S: %r' % ln)
            want = raw[3:] if raw.startswith('<~ ') else raw[2:]
            if err or not lines:
                print('FAIL: wanted %r, got %s' % (want, err))
                good = False
                break
            last = lines[-1].decode('latin-1')
            if raw.startswith('<~ '):
                hit = re.search(want, last) is not None
            else:
                hit = last.startswith(want)
            if not hit:
                print('FAIL: wanted %r' % want)
                good = False
                break
        elif raw == 'eof':
            if not peer.expect_eof():
                print('FAIL: connection still open')
                good = False
                break
            if peer.buf:
                print('S: %r' % peer.buf)
        elif raw == 'tls':
            what, err = peer.starttls()
            if what is None:
                print('FAIL: TLS: %s' % err)
                good = False
                break
            print('TLS: %s' % what)
        elif raw.startswith('quiet '):
            d = peer.quiet(float(raw[6:]))
            if d is not None:
                print('S: %r' % d)
                print('FAIL: the server said something' if d else
                      'FAIL: the server closed the connection')
                good = False
                break
        elif raw == 'shut':
            peer.shut()
        elif raw.startswith('sleep '):
            time.sleep(float(raw[6:]))
        else:
            print('bad script line: %r' % raw)
            good = False
            break
    peer.close()
    sys.exit(0 if good else 1)


main()
