#!/usr/bin/env python3
"""fakesmtp - a small SMTP server that plays the primary in tests.

  fakesmtp.py --dir OUT [--port N] [options]

Listens on 127.0.0.1 (port 0: any free port; the port is written to
OUT/port). Each message received whole is stored as OUT/msg.N (the data
unstuffed, as received) with OUT/msg.N.env (the MAIL and RCPT lines).
Every connection and command is logged to OUT/log, one line each.

Behaviour:
  --reject ADDR      550 5.1.1 to RCPT TO:<ADDR> (repeatable)
  --defer ADDR       450 4.2.1 to RCPT TO:<ADDR> (repeatable)
  --drop-after-dot N close without replying after the final dot, for
                     the first N messages (the data is not stored)
  --silent           accept connections and never say anything
  --greet CODE       greet with CODE (421, 554 ...) and close
  --data-code CODE   reply CODE to the final dot instead of 250
  --no-pipelining    do not offer PIPELINING
  --no-dsn           do not offer DSN
  --size N           offer SIZE N
  --no-ehlo          refuse EHLO with 502 (the client must say HELO)
  --name NAME        the name in the greeting [fake.primary]
  --users ADDR,...   accept RCPT only for these addresses (any case;
                     repeatable); 550 5.1.1 "user unknown" to any other,
                     so the primary is not a catch-all
  --rcpt-code CODE   answer every RCPT with CODE ("450", "554 5.7.1",
                     "550" without an enhanced code...)
  --mail-code CODE   answer MAIL with CODE
  --no-greet         accept connections, read what comes, never greet
  --rcpt-delay SECS  wait SECS before answering each RCPT
  --text TEXT        the words after the code of the refusals above
                     (greet, mail, rcpt and data codes) ["refused";
                     "NAME go away" for the greeting]
  --ehlo-code CODE   answer EHLO and HELO with CODE

Every RCPT command is a "RCPT ..." line of OUT/log (count them). The
connections open right now are in OUT/conns, the most open at once so
far in OUT/maxconns (both rewritten at each connect and close; a
connection counts as closed once its QUIT is read).
"""
import argparse
import os
import socket
import socketserver
import threading
import time

lock = threading.Lock()
state = {'n': 0, 'dropped': 0, 'conns': 0, 'maxconns': 0}


def put(args, name, value):
    """OUT/name := value, atomically (called with lock held)."""
    tmp = os.path.join(args.dir, name + '.tmp')
    with open(tmp, 'w') as f:
        f.write('%d\n' % value)
    os.rename(tmp, os.path.join(args.dir, name))


def conns(args, delta):
    with lock:
        state['conns'] += delta
        if state['conns'] > state['maxconns']:
            state['maxconns'] = state['conns']
            put(args, 'maxconns', state['maxconns'])
        put(args, 'conns', state['conns'])


def log(args, line):
    with lock:
        with open(os.path.join(args.dir, 'log'), 'a') as f:
            f.write(line + '\n')


class Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b'\r\n')
        self.wfile.flush()

    def line(self):
        ln = self.rfile.readline(4096)
        if not ln:
            return None
        return ln.rstrip(b'\r\n').decode('latin-1')

    def handle(self):
        a = self.server.args
        conns(a, 1)
        self.counted = True
        try:
            self.session(a)
        finally:
            if self.counted:
                conns(a, -1)

    def session(self, a):
        log(a, 'connect')
        if a.no_greet:
            while True:
                cmd = self.line()
                if cmd is None:
                    log(a, 'eof')
                    return
                log(a, cmd)
        if a.silent:
            self.rfile.read()
            return
        if a.greet:
            self.reply('%s %s' % (a.greet, a.text or a.name + ' go away'))
            return
        self.reply('220 %s ESMTP fake' % a.name)
        env = []
        while True:
            cmd = self.line()
            if cmd is None:
                log(a, 'eof')
                return
            log(a, cmd)
            verb = cmd[:4].upper()
            if verb in ('EHLO', 'HELO') and a.ehlo_code:
                self.reply('%s %s' % (a.ehlo_code, a.text or 'refused'))
            elif verb == 'EHLO' and a.no_ehlo:
                self.reply('502 5.5.1 EHLO not implemented')
            elif verb == 'EHLO':
                ext = ['8BITMIME', 'ENHANCEDSTATUSCODES']
                if not a.no_pipelining:
                    ext.append('PIPELINING')
                if not a.no_dsn:
                    ext.append('DSN')
                if a.size:
                    ext.append('SIZE %d' % a.size)
                self.reply('250-%s' % a.name)
                for i, e in enumerate(ext):
                    self.reply(('250 ' if i == len(ext) - 1 else '250-') + e)
            elif verb == 'HELO':
                self.reply('250 %s' % a.name)
            elif verb == 'MAIL' and a.mail_code:
                env = []
                self.reply('%s %s' % (a.mail_code, a.text or 'refused'))
            elif verb == 'MAIL':
                env = [cmd]
                self.reply('250 2.1.0 ok')
            elif verb == 'RCPT':
                addr = cmd[cmd.find('<') + 1:cmd.find('>')].lower()
                if a.rcpt_delay:
                    time.sleep(a.rcpt_delay)
                if a.rcpt_code:
                    self.reply('%s <%s>: %s' % (a.rcpt_code, addr,
                                                a.text or 'refused'))
                elif a.users is not None and addr not in a.users:
                    self.reply('550 5.1.1 <%s>: user unknown' % addr)
                elif addr in a.reject:
                    self.reply('550 5.1.1 <%s>: no such user' % addr)
                elif addr in a.defer:
                    self.reply('450 4.2.1 <%s>: try later' % addr)
                else:
                    env.append(cmd)
                    self.reply('250 2.1.5 ok')
            elif verb == 'DATA':
                if len(env) < 2:
                    self.reply('554 5.5.1 no valid recipients')
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
                with lock:
                    drop = state['dropped'] < a.drop_after_dot
                    if drop:
                        state['dropped'] += 1
                    else:
                        state['n'] += 1
                        n = state['n']
                if drop:
                    log(a, 'dropped after dot')
                    self.request.shutdown(socket.SHUT_RDWR)
                    return
                if a.data_code:
                    self.reply('%s %s' % (a.data_code, a.text or 'refused'))
                    continue
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
                # the client is done with the connection once it says
                # QUIT: count it closed before the reply, or a client
                # that frees its place on reading 221 could be seen
                # twice while this thread winds down
                conns(a, -1)
                self.counted = False
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
    ap.add_argument('--reject', action='append', default=[])
    ap.add_argument('--defer', action='append', default=[])
    ap.add_argument('--drop-after-dot', type=int, default=0)
    ap.add_argument('--silent', action='store_true')
    ap.add_argument('--greet')
    ap.add_argument('--text')
    ap.add_argument('--ehlo-code')
    ap.add_argument('--data-code')
    ap.add_argument('--no-pipelining', action='store_true')
    ap.add_argument('--no-dsn', action='store_true')
    ap.add_argument('--size', type=int, default=0)
    ap.add_argument('--no-ehlo', action='store_true')
    ap.add_argument('--name', default='fake.primary')
    ap.add_argument('--users', action='append')
    ap.add_argument('--rcpt-code')
    ap.add_argument('--mail-code')
    ap.add_argument('--no-greet', action='store_true')
    ap.add_argument('--rcpt-delay', type=float, default=0)
    args = ap.parse_args()
    if args.users is not None:
        args.users = set(x.strip().lower() for u in args.users
                         for x in u.split(',') if x.strip())
    args.reject = [x.lower() for x in args.reject]
    args.defer = [x.lower() for x in args.defer]
    os.makedirs(args.dir, exist_ok=True)
    srv = Server(('127.0.0.1', args.port), Handler)
    srv.args = args
    tmp = os.path.join(args.dir, 'port.tmp')
    with open(tmp, 'w') as f:
        f.write('%d\n' % srv.server_address[1])
    os.rename(tmp, os.path.join(args.dir, 'port'))
    srv.serve_forever()


main()
