#!/usr/bin/env python3
"""Verify an Entra ID client assertion the way the token endpoint would: PS256 signature with
the certificate's public key (PyJWT), audience and lifetime, and the x5t#S256 header equal to
the SHA-256 of the certificate's DER (computed here with cryptography, independently).
Usage: verify_assertion.py TOKEN CERT.pem AUDIENCE   -> prints {"header":..,"claims":..}; exit 1 on failure"""
import base64, hashlib, json, sys
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

token, cert_path, audience = sys.argv[1:4]
cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
header = jwt.get_unverified_header(token)
claims = jwt.decode(token, cert.public_key(), algorithms=["PS256"], audience=audience,
                    options={"require": ["exp", "nbf", "iss", "sub", "aud", "jti"]})
der = cert.public_bytes(serialization.Encoding.DER)
expected = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
if header.get("x5t#S256") != expected:
    sys.exit(f"x5t#S256 {header.get('x5t#S256')} != {expected}")
print(json.dumps({"header": header, "claims": claims}))
