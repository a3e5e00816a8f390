#!/usr/bin/env python3
"""sigv4-reference.py - what botocore's SigV4Auth (pip `botocore`) produces for a
request, at a FIXED time, to compare another SigV4 implementation byte-for-byte.

It runs botocore's real SigV4Auth.add_auth (only the clock is pinned) and prints
the canonical request, the string to sign, the signing key, the signature, the
Authorization header and the final headers.

Examples
  # CloudWatch PutMetricData, query protocol, form body
  sigv4-reference.py --method POST --url https://monitoring.us-east-1.amazonaws.com/ \\
      -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \\
      --body 'Action=PutMetricData&Version=2010-08-01&Namespace=App' \\
      --region us-east-1 --service monitoring \\
      --access-key AKIDEXAMPLE --secret-key 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' \\
      [--session-token TOKEN] --timestamp 20150830T123600Z [--json]

  # a raw HTTP request in the aws-sig-v4-test-suite ".req" format
  sigv4-reference.py --req-file get-vanilla.req --region us-east-1 --service service \\
      --access-key AKIDEXAMPLE --secret-key ... --timestamp 20150830T123600Z

  # self-test against the AWS suite copies in Tests/Fixtures/sigv4-vectors
  sigv4-reference.py --vectors Tests/Fixtures/sigv4-vectors

botocore behaviours worth knowing when comparing (botocore 1.43.x):
  * Signed headers = every header you pass (lower-cased) except expect,
    transfer-encoding, user-agent, x-amzn-trace-id; plus `host` taken from the URL
    (default ports dropped) if you pass no Host header. X-Amz-Date (or, if you pass
    a Date header, Date) and X-Amz-Security-Token (when a token is given) are set
    by the signer and therefore signed.
  * Header values: leading/trailing space trimmed and inner runs of whitespace
    collapsed; repeated headers joined with ','.
  * Canonical query string from the URL is split on & and = and sorted, but NOT
    re-encoded: pass an already percent-encoded URL (RFC 3986, %20 not +).
  * Path: dot segments removed, then quote(path, safe='/~') - an already-encoded
    %XX becomes %25XX (the double encoding non-S3 services expect).
  * Payload hash: hex SHA-256 of the body bytes (empty body -> e3b0c442...b855),
    unless you pass an X-Amz-Content-SHA256 header, whose value is then used as-is.
"""
import argparse
import calendar
import datetime
import hashlib
import hmac
import json
import os
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def parse_time(s):
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.datetime.strptime(s, fmt)
        except ValueError:
            pass
    return datetime.datetime.fromtimestamp(float(s), datetime.timezone.utc).replace(tzinfo=None)


def parse_req_file(path, scheme="https"):
    """Parse the test-suite .req format: request line, Name:value headers
    (continuation lines start with whitespace), blank line, body."""
    raw = open(path, "rb").read().decode("utf-8")
    head, sep, body = raw.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    headers = []
    for ln in lines[1:]:
        if ln[:1] in (" ", "\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + "," + ln.strip())
            continue
        name, _, value = ln.partition(":")
        headers.append((name, value))
    host = next(v for n, v in headers if n.lower() == "host").strip()
    return method, f"{scheme}://{host}{target}", headers, body.encode("utf-8")


def sign(method, url, headers, body, region, service, access_key, secret_key,
         token=None, when=None, unsigned_payload=False):
    """Return a dict with everything botocore computed. `headers` is a list of
    (name, value) pairs (order and duplicates kept)."""
    req = AWSRequest(method=method, url=url, data=body)
    for n, v in headers:
        req.headers[n] = v  # HTTPHeaders: assignment appends, duplicates kept
    if unsigned_payload:
        req.context["payload_signing_enabled"] = False
    creds = Credentials(access_key, secret_key, token)
    auth = SigV4Auth(creds, service, region)
    captured = {}
    orig_cr, orig_sts = auth.canonical_request, auth.string_to_sign

    def cr(r):
        captured["canonical_request"] = orig_cr(r)
        return captured["canonical_request"]

    def sts(r, c):
        captured["string_to_sign"] = orig_sts(r, c)
        return captured["string_to_sign"]
    auth.canonical_request, auth.string_to_sign = cr, sts
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        auth.add_auth(req)
    authz = req.headers["Authorization"]
    date = req.context["timestamp"][:8]
    k = ("AWS4" + secret_key).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return {
        "canonical_request": captured["canonical_request"],
        "canonical_request_sha256": hashlib.sha256(captured["canonical_request"].encode()).hexdigest(),
        "string_to_sign": captured["string_to_sign"],
        "signing_key_hex": k.hex(),
        "signature": authz.rsplit("Signature=", 1)[1],
        "authorization": authz,
        "headers": [[n, v] for n, v in req.headers.items()],
        "botocore_version": botocore.__version__,
    }


def show(res):
    for title, key in (("canonical request", "canonical_request"),
                       ("string to sign", "string_to_sign"),
                       ("signing key (hex)", "signing_key_hex"),
                       ("signature", "signature"),
                       ("Authorization", "authorization")):
        print(f"===== {title} =====")
        print(res[key])
    print("===== headers sent =====")
    for n, v in res["headers"]:
        print(f"{n}: {v}")


SUITE = dict(region="us-east-1", service="service", access_key="AKIDEXAMPLE",
             secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
             when=datetime.datetime(2015, 8, 30, 12, 36, 0))


def run_vectors(root):
    ok = bad = 0
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        req = os.path.join(d, case + ".req")
        if not os.path.isfile(req):
            continue
        method, url, headers, body = parse_req_file(req)
        token = next((v for n, v in headers if n.lower() == "x-amz-security-token"), None)
        res = sign(method, url, headers, body, token=token, **SUITE)
        for ext, key in ((".creq", "canonical_request"), (".sts", "string_to_sign"), (".authz", "authorization")):
            want = open(os.path.join(d, case + ext), "rb").read().decode()
            if want == res[key]:
                ok += 1
            else:
                bad += 1
                print(f"MISMATCH {case}{ext}:\n--- expected\n{want}\n--- botocore\n{res[key]}")
        print(f"{case}: signature {res['signature']}")
    print(f"{ok} passed, {bad} failed")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", default="POST")
    ap.add_argument("--url")
    ap.add_argument("-H", "--header", action="append", default=[], help="'Name: value' (repeatable)")
    ap.add_argument("--body", default=None)
    ap.add_argument("--body-file")
    ap.add_argument("--req-file", help="raw request in aws-sig-v4-test-suite .req format")
    ap.add_argument("--region")
    ap.add_argument("--service", help="signing name, e.g. monitoring, sts, execute-api")
    ap.add_argument("--access-key")
    ap.add_argument("--secret-key")
    ap.add_argument("--session-token")
    ap.add_argument("--timestamp", help="20150830T123600Z, 2015-08-30T12:36:00Z or unix seconds (UTC)")
    ap.add_argument("--unsigned-payload", action="store_true", help="https only: UNSIGNED-PAYLOAD")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead")
    ap.add_argument("--vectors", help="self-test against a directory of suite cases")
    a = ap.parse_args()
    if a.vectors:
        return run_vectors(a.vectors)
    need = ["region", "service", "access_key", "secret_key", "timestamp"]
    missing = [n for n in need if getattr(a, n) is None]
    if missing or not (a.url or a.req_file):
        ap.error("need --url or --req-file, and " + ", ".join("--" + n.replace("_", "-") for n in need))
    if a.req_file:
        method, url, headers, body = parse_req_file(a.req_file, "https")
    else:
        method, url = a.method, a.url
        headers = []
        for h in a.header:
            n, _, v = h.partition(":")
            headers.append((n.strip(), v.lstrip()))
        body = b""
        if a.body_file:
            body = open(a.body_file, "rb").read()
        elif a.body is not None:
            body = a.body.encode("utf-8")
    res = sign(method, url, headers, body, a.region, a.service, a.access_key, a.secret_key,
               a.session_token, parse_time(a.timestamp), a.unsigned_payload)
    if a.json:
        print(json.dumps(res, indent=1))
    else:
        show(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
