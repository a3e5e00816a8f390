#!/usr/bin/env python3
"""dns-server.py - a real DNS server (dnslib, pip) on 127.0.0.1 for discovery tests.

Usage: dns-server.py ZONE.json [--serve SECONDS]
Prints the port it listens on (UDP and TCP), then answers until SECONDS pass or it is killed.
UDP answers are limited as real servers limit them: 512 bytes, or the size a query's EDNS0 OPT
record offers; a longer answer is truncated with TC set, and the whole answer is on TCP. The zone
file is read again on every query, so a test changes the answers by rewriting it:
  {"records": {"workers.test.": [{"type": "A", "value": "127.0.0.1", "ttl": 30},
                                  {"type": "SRV", "target": "w1.test.", "port": 8080, "ttl": 5}]},
   "rcode": "NOERROR"}            # or SERVFAIL, NXDOMAIN, REFUSED: every answer fails so
"""
import json
import sys
import time

from dnslib import AAAA, QTYPE, RCODE, RR, SRV, A, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSServer


class SizeLimitedHandler(DNSHandler):
    """RFC 1035/6891 UDP size: 512 bytes unless the query's OPT record offers more."""

    def get_reply(self, data):
        rdata = super().get_reply(data)
        if self.protocol == "udp":
            limit = 512
            for record in DNSRecord.parse(data).ar:
                if record.rtype == QTYPE.OPT:
                    limit = max(512, record.rclass)
            if len(rdata) > limit:
                rdata = DNSRecord.parse(rdata).truncate().pack()
        return rdata


class ZoneResolver(BaseResolver):
    def __init__(self, path):
        self.path = path

    def resolve(self, request, handler):
        reply = request.reply()
        try:
            with open(self.path) as f:
                zone = json.load(f)
        except Exception:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        rcode = zone.get("rcode", "NOERROR")
        if rcode != "NOERROR":
            reply.header.rcode = getattr(RCODE, rcode)
            return reply
        name = str(request.q.qname)
        qtype = QTYPE[request.q.qtype]
        records = zone.get("records", {}).get(name)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for record in records:
            if record["type"] != qtype:
                continue
            ttl = record.get("ttl", 30)
            if qtype == "A":
                rdata = A(record["value"])
            elif qtype == "AAAA":
                rdata = AAAA(record["value"])
            else:
                rdata = SRV(priority=record.get("priority", 10), weight=record.get("weight", 10), port=record["port"], target=DNSLabel(record["target"]))
            reply.add_answer(RR(request.q.qname, getattr(QTYPE, qtype), rdata=rdata, ttl=ttl))
        return reply


def main():
    zone = sys.argv[1]
    seconds = float(sys.argv[sys.argv.index("--serve") + 1]) if "--serve" in sys.argv else 600
    for _ in range(20):  # a UDP port whose TCP twin is free too
        server = DNSServer(ZoneResolver(zone), port=0, address="127.0.0.1", tcp=False, handler=SizeLimitedHandler)
        port = server.server.server_address[1]
        try:
            tcp = DNSServer(ZoneResolver(zone), port=port, address="127.0.0.1", tcp=True, handler=SizeLimitedHandler)
            break
        except OSError:
            server.server.server_close()
    server.start_thread()
    tcp.start_thread()
    print(port, flush=True)
    deadline = time.time() + seconds
    while time.time() < deadline and server.isAlive():
        time.sleep(0.1)
    server.stop()
    tcp.stop()


if __name__ == "__main__":
    main()
