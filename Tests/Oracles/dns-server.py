#!/usr/bin/env python3
"""dns-server.py - a real DNS server (dnslib, pip) on 127.0.0.1 for discovery tests.

Usage: dns-server.py ZONE.json [--serve SECONDS]
Prints the UDP port it listens on, then answers until SECONDS pass or it is killed. The zone
file is read again on every query, so a test changes the answers by rewriting it:
  {"records": {"workers.test.": [{"type": "A", "value": "127.0.0.1", "ttl": 30},
                                  {"type": "SRV", "target": "w1.test.", "port": 8080, "ttl": 5}]},
   "rcode": "NOERROR"}            # or SERVFAIL, NXDOMAIN, REFUSED: every answer fails so
"""
import json
import sys
import time

from dnslib import AAAA, QTYPE, RCODE, RR, SRV, A, DNSLabel
from dnslib.server import BaseResolver, DNSServer


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
    server = DNSServer(ZoneResolver(zone), port=0, address="127.0.0.1", tcp=False)
    server.start_thread()
    print(server.server.server_address[1], flush=True)
    deadline = time.time() + seconds
    while time.time() < deadline and server.isAlive():
        time.sleep(0.1)
    server.stop()


if __name__ == "__main__":
    main()
