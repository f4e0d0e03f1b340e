#!/usr/bin/env python3
"""badsmtp - a malicious or broken SMTP server, to play the primary.

  badsmtp.py --dir OUT --at STAGE --do BEHAVIOUR [--port N] [--probe-ok]
  badsmtp.py --dir OUT --control FILE [--port N]

Listens on 127.0.0.1 (port 0: any free port, written to OUT/port).
Behaves as a plain server (greeting, EHLO with PIPELINING, MAIL, RCPT,
DATA, the final dot: each 250, 354) except at STAGE, where it does
BEHAVIOUR instead of its reply. Every connection and command is a line
of OUT/log; a message received whole and answered 250 is stored as
OUT/msg.N, as fakesmtp.py does, and what the server did wrong is logged
as "did BEHAVIOUR at STAGE".

STAGE: greeting, ehlo, mail, rcpt, data (the reply to DATA), dot (the
reply to the final dot).

BEHAVIOUR, one per fault of a broken or hostile server:
  nondigit   a reply whose code is not three digits ("2x0 ok")
  shortcode  a reply of two digits ("25 ok")
  badcode    a code out of range ("600 ok")
  longline   one reply line of 100 KB ("250 xxxx...")
  endless    continuation lines ("250-more") without end, until the
             client closes (at most 1,000,000 lines or 60 s)
  mixed      a two-line reply whose codes differ ("250-ok" then
             "550 5.1.1 no"); at the dot, "250-..." then "451 ..."
  mixed5     the same the other way ("550-no" then "250 ok")
  code421    "421 4.3.2 shutting down" in the middle, then close
  bareLF     a reply ended by LF alone
  silent     never reply (and never close) until the client goes
  stall      reply as usual, then stop reading (a full socket blocks the
             client's writes: at data, its message), for 20 s
  drop       close the connection without a reply

--probe-ok  answer RCPTs for snf-probe-* (the catch-all probe of
            snf-verify) as a normal server would (550 5.1.1), so that the
            fault hits the real recipient.

--control FILE  read "STAGE BEHAVIOUR [probe-ok]" from FILE at each
            connection instead, so that one server plays every fault in
            turn (the test rewrites FILE between cases).
"""
import argparse
import os
import socket
import socketserver
import threading
import time

lock = threading.Lock()
state = {'n': 0}


def log(args, line):
    with lock:
        with open(os.path.join(args.dir, 'log'), 'a') as f:
            f.write(line + '\n')


class Handler(socketserver.StreamRequestHandler):
    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def reply(self, text):
        self.send(text.encode() + b'\r\n')

    def line(self):
        ln = self.rfile.readline(1 << 16)
        if not ln:
            return None
        return ln.rstrip(b'\r\n').decode('latin-1')

    def bad(self, stage):
        """Do the behaviour; True when the session must end."""
        a = self.server.args
        b = self.do
        log(a, 'did %s at %s' % (b, stage))
        ok = {'greeting': '220', 'ehlo': '250', 'mail': '250', 'rcpt': '250',
              'data': '354', 'dot': '250'}[stage]
        if b == 'nondigit':
            self.reply(ok[0] + 'x' + ok[2] + ' garbled')
        elif b == 'shortcode':
            self.reply(ok[:2] + ' short')
        elif b == 'badcode':
            self.reply('600 out of range')
        elif b == 'longline':
            self.send(ok.encode() + b' ' + b'x' * 100000 + b'\r\n')
        elif b == 'endless':
            end = time.time() + 60
            try:
                for _ in range(1000000):
                    self.send(ok.encode() + b'-more and more\r\n')
                    if time.time() > end:
                        break
            except OSError:
                pass
            return True
        elif b == 'mixed':
            other = '451 4.3.0 changed my mind' if stage == 'dot' else \
                '550 5.1.1 no after all'
            self.send(ok.encode() + b'-first line\r\n' + other.encode() + b'\r\n')
        elif b == 'mixed5':
            self.send(b'550-5.1.1 no\r\n' + ok.encode() + b' yes after all\r\n')
        elif b == 'code421':
            self.reply('421 4.3.2 shutting down')
            return True
        elif b == 'bareLF':
            self.send(ok.encode() + b' bare line feed\n')
        elif b == 'silent':
            while self.rfile.readline(1 << 16):
                pass
            return True
        elif b == 'stall':
            self.reply(ok + ' go ahead')
            time.sleep(20)
            return True
        elif b == 'drop':
            return True
        return False

    def handle(self):
        a = self.server.args
        self.at, self.do, self.probe_ok = a.at, a.do, a.probe_ok
        if a.control:
            w = open(a.control).read().split()
            self.at, self.do = w[0], w[1]
            self.probe_ok = 'probe-ok' in w[2:]
        log(a, 'connect')
        try:
            self.session(a)
        except OSError:
            log(a, 'connection error')
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def session(self, a):
        if self.at == 'greeting':
            if self.bad('greeting'):
                return
        else:
            self.reply('220 bad.primary ESMTP')
        env = []
        while True:
            cmd = self.line()
            if cmd is None:
                log(a, 'eof')
                return
            log(a, cmd)
            verb = cmd[:4].upper()
            if verb in ('EHLO', 'HELO'):
                if self.at == 'ehlo':
                    if self.bad('ehlo'):
                        return
                    continue
                self.send(b'250-bad.primary\r\n250-PIPELINING\r\n'
                          b'250 8BITMIME\r\n' if verb == 'EHLO' else
                          b'250 bad.primary\r\n')
            elif verb == 'MAIL':
                env = [cmd]
                if self.at == 'mail':
                    if self.bad('mail'):
                        return
                    continue
                self.reply('250 2.1.0 ok')
            elif verb == 'RCPT':
                probe = 'snf-probe-' in cmd.lower()
                if probe and self.probe_ok:
                    self.reply('550 5.1.1 no such user')
                    continue
                env.append(cmd)
                if self.at == 'rcpt':
                    if self.bad('rcpt'):
                        return
                    continue
                self.reply('250 2.1.5 ok')
            elif verb == 'DATA':
                if self.at == 'data':
                    if self.bad('data'):
                        return
                    continue
                self.reply('354 go ahead')
                data = bytearray()
                while True:
                    ln = self.rfile.readline(1 << 20)
                    if not ln:
                        log(a, 'eof in data')
                        return
                    if ln == b'.\r\n':
                        break
                    if ln.startswith(b'.'):
                        ln = ln[1:]
                    data += ln
                log(a, 'end of data')
                if self.at == 'dot':
                    if self.bad('dot'):
                        return
                    continue
                with lock:
                    state['n'] += 1
                    n = state['n']
                base = os.path.join(a.dir, 'msg.%d' % n)
                with open(base + '.env', 'w') as f:
                    f.write('\n'.join(env) + '\n')
                with open(base, 'wb') as f:
                    f.write(data)
                self.reply('250 2.0.0 ok: stored as %d' % n)
            elif verb == 'RSET':
                env = []
                self.reply('250 2.0.0 ok')
            elif verb == 'NOOP':
                self.reply('250 2.0.0 ok')
            elif verb == 'QUIT':
                self.reply('221 2.0.0 bye')
                return
            else:
                self.reply('502 5.5.1 not implemented')


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--control')
    ap.add_argument('--at',
                    choices=['greeting', 'ehlo', 'mail', 'rcpt', 'data', 'dot'])
    ap.add_argument('--do',
                    choices=['nondigit', 'shortcode', 'badcode', 'longline',
                             'endless', 'mixed', 'mixed5', 'code421',
                             'bareLF', 'silent', 'stall', 'drop'])
    ap.add_argument('--probe-ok', action='store_true')
    args = ap.parse_args()
    if not args.control and not (args.at and args.do):
        ap.error('--at and --do, or --control')
    os.makedirs(args.dir, exist_ok=True)
    srv = Server(('127.0.0.1', args.port), Handler)
    srv.args = args
    tmp = os.path.join(args.dir, 'port.tmp')
    with open(tmp, 'w') as f:
        f.write('%d\n' % srv.server_address[1])
    os.rename(tmp, os.path.join(args.dir, 'port'))
    srv.serve_forever()


main()
