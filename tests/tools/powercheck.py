#!/usr/bin/env python3
"""powercheck - what a power cut left of the mail: acknowledged messages
found whole, lost, damaged.

  powercheck.py --root R --sent DIR --acked FILE [options]

Reads every item of R/queue/mail/*/ (and R/queue/hold/*/ with --hold)
as snf-queue(5) says: the trailer, the envelope checksum, the message
checksum, the zlib stream when the envelope has Z. An item that fails
any check is damaged. A whole item's message (without the Received:
field snf-smtpd put first) is compared with DIR/KEY (--sent may be
repeated), KEY the local part of its Message-ID <KEY@origin.test>; an item whose bytes differ from
what was sent is damaged too. --delivered FAKEDIR (repeatable) counts
the messages a fakesmtp stored (msg.N) as found as well, when whole.
--reports: a message also counts as found when a whole item of
R/queue/mail/origin.test/ (a delivery report to its sender) quotes its
Message-ID.

Every KEY of the --acked files (first word of each line; repeatable) not
found whole anywhere is lost. Prints one line of figures:
  items=N whole=N damaged=N acked=N found=N lost=N delivered=N dups=N
and, with --out P, writes the lost keys to P.lost and the damaged items
(path and why) to P.damaged.
"""
import argparse
import os
import re
import zlib

MID = re.compile(rb'^Message-ID: <([^@>\r\n]+)@origin\.test>\r?$', re.M)


def parse_item(path):
    """(message bytes, envelope text) or raise ValueError(why)."""
    d = open(path, 'rb').read()
    if len(d) < 32:
        raise ValueError('shorter than a trailer')
    tr = d[-32:]
    m = re.fullmatch(rb'SNF1 ([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8})\n', tr)
    if not m:
        raise ValueError('no trailer')
    envlen = int(m.group(1), 16)
    if envlen > len(d) - 32:
        raise ValueError('envelope longer than the file')
    env = d[len(d) - 32 - envlen:len(d) - 32]
    body = d[:len(d) - 32 - envlen]
    if zlib.crc32(env) != int(m.group(3), 16):
        raise ValueError('envelope checksum')
    if zlib.crc32(body) != int(m.group(2), 16):
        raise ValueError('message checksum')
    lines = env.split(b'\n')
    if not lines or lines[0] != b'V 1':
        raise ValueError('no version line')
    if b'Z ' in lines or b'Z' in lines:
        try:
            body = zlib.decompress(body)
        except zlib.error:
            raise ValueError('zlib stream')
    return body, env


def strip_received(d):
    if not d.startswith(b'Received: '):
        return None
    i = d.index(b'\r\n') + 2
    while d[i:i + 1] in (b'\t', b' '):
        i = d.index(b'\r\n', i) + 2
    return d[i:]


def items(root, hold):
    tops = ['queue/mail'] + (['queue/hold'] if hold else [])
    for top in tops:
        base = os.path.join(root, top)
        if not os.path.isdir(base):
            continue
        for dom in sorted(os.listdir(base)):
            dd = os.path.join(base, dom)
            if not os.path.isdir(dd):
                continue
            for name in sorted(os.listdir(dd)):
                if re.fullmatch(r'\d{10}\.[0-9a-f]{12}', name):
                    yield dom, os.path.join(dd, name)


def sent_of(dirs, key):
    for d in dirs:
        p = os.path.join(d, key)
        if os.path.exists(p):
            return p
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--root', required=True)
    ap.add_argument('--sent', action='append', required=True)
    ap.add_argument('--acked', action='append', default=[])
    ap.add_argument('--delivered', action='append', default=[])
    ap.add_argument('--hold', action='store_true')
    ap.add_argument('--reports', action='store_true')
    ap.add_argument('--out')
    a = ap.parse_args()
    found, damaged = {}, []
    n = whole = delivered = 0
    for dom, path in items(a.root, a.hold):
        n += 1
        try:
            body, env = parse_item(path)
        except (ValueError, OSError) as e:
            damaged.append('%s %s' % (path, e))
            continue
        whole += 1
        if dom == 'origin.test' and a.reports:
            for k in MID.findall(body):
                found[k.decode()] = found.get(k.decode(), 0) + 1
            continue
        msg = strip_received(body)
        m = MID.search(body)
        key = m.group(1).decode() if m else None
        sent = sent_of(a.sent, key) if key else None
        if msg is None or sent is None:
            damaged.append('%s unknown message' % path)
            continue
        if msg != open(sent, 'rb').read():
            damaged.append('%s differs from %s' % (path, key))
            continue
        found[key] = found.get(key, 0) + 1
    for fd in a.delivered:
        for f in sorted(os.listdir(fd)) if os.path.isdir(fd) else []:
            if not re.fullmatch(r'msg\.\d+', f):
                continue
            d = open(os.path.join(fd, f), 'rb').read()
            m = MID.search(d)
            msg = strip_received(d)
            key = m.group(1).decode() if m else None
            sent = sent_of(a.sent, key) if key else None
            if msg is None or sent is None or \
                    msg != open(sent, 'rb').read():
                damaged.append('%s/%s delivered, not what was sent' % (fd, f))
                continue
            delivered += 1
            found[key] = found.get(key, 0) + 1
    acked = set()
    for f in a.acked:
        if os.path.exists(f):
            for ln in open(f):
                if ln.split():
                    acked.add(ln.split()[0])
    lost = sorted(k for k in acked if k not in found)
    dups = sum(v - 1 for v in found.values() if v > 1)
    print('items=%d whole=%d damaged=%d acked=%d found=%d lost=%d '
          'delivered=%d dups=%d' % (n, whole, len(damaged), len(acked),
                                    len(acked) - len(lost), len(lost),
                                    delivered, dups))
    if a.out:
        with open(a.out + '.lost', 'w') as o:
            o.writelines(k + '\n' for k in lost)
        with open(a.out + '.damaged', 'w') as o:
            o.writelines(d + '\n' for d in damaged)


main()
