"""An independent DPoP client of the authjwt reference server, on joserfc.

Proofs (RFC 9449) are built here with joserfc's JWS/JWK code and Python's
standard library: nothing comes from authjwt. e2e/dpop_clients_test.go
runs it against a server it starts and reads the result lines:
"ok <check>" or "FAIL <check>: ...".

Environment: AUTHJWT_BASE (https://127.0.0.1:PORT), SSL_CERT_FILE (the
server's certificate), DPOP_NONCE=1 when the server demands nonces.
"""

import base64
import hashlib
import json
import os
import ssl
import time
import urllib.error
import urllib.request
import uuid

from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

BASE = os.environ["AUTHJWT_BASE"]
NONCES = os.environ.get("DPOP_NONCE") == "1"
CTX = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"))

failed = False
nonce = None  # the server's latest DPoP-Nonce
nonce_retries = 0


def check(name, cond, detail=None):
    global failed
    if cond:
        print("ok " + name, flush=True)
    else:
        failed = True
        print("FAIL %s: %s" % (name, json.dumps(detail, default=str)), flush=True)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def proof(key, alg, method, url, token=None):
    """A DPoP proof JWT: typ dpop+jwt, the public jwk, htm, htu, iat, jti,
    and ath and nonce when there are."""
    header = {"typ": "dpop+jwt", "alg": alg, "jwk": key.as_dict(private=False)}
    claims = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time())}
    if nonce:
        claims["nonce"] = nonce
    if token:
        claims["ath"] = b64u(hashlib.sha256(token.encode()).digest())
    return jwt.encode(header, claims, key, algorithms=[alg])


def send(key, alg, method, path, token=None, body=None, fixed_proof=None):
    """Sends a request with a proof, retrying once with the server's nonce
    when it answers use_dpop_nonce. Returns (status, json, headers, proof)."""
    global nonce, nonce_retries
    url = BASE + path
    for attempt in range(2):
        p = fixed_proof or proof(key, alg, method, url, token)
        req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
        req.add_header("DPoP", p)
        if token:
            req.add_header("Authorization", "DPoP " + token)
        if body:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=CTX, timeout=10) as res:
                status, headers, raw = res.status, res.headers, res.read()
        except urllib.error.HTTPError as e:
            status, headers, raw = e.code, e.headers, e.read()
        if headers.get("DPoP-Nonce"):
            nonce = headers.get("DPoP-Nonce")
        challenge = headers.get("WWW-Authenticate") or ""
        if status == 401 and "use_dpop_nonce" in challenge and attempt == 0 and not fixed_proof:
            nonce_retries += 1
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        return status, data, headers, p


def claims_of(token):
    seg = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


LOGIN = json.dumps({"username": "alice", "password": "secret"})

for alg, key in [("ES256", ECKey.generate_key("P-256")), ("EdDSA", OKPKey.generate_key("Ed25519"))]:
    status, data, _, _ = send(key, alg, "POST", "/login", body=LOGIN)
    check(alg + " login binds", status == 200 and data and data.get("token_type") == "DPoP", [status, data])
    if status != 200:
        continue
    access, refresh = data["access_token"], data["refresh_token"]
    cnf = claims_of(access).get("cnf", {})
    check(alg + " cnf.jkt is the key's RFC 7638 thumbprint", cnf.get("jkt") == key.thumbprint(), [cnf, key.thumbprint()])

    status, data, _, used = send(key, alg, "GET", "/protected", token=access)
    check(alg + " protected with proof", status == 200 and data == {"user": "alice"}, [status, data])
    status, data, headers, _ = send(key, alg, "GET", "/protected", token=access, fixed_proof=used)
    check(alg + " replayed proof refused", status == 401 and (headers.get("WWW-Authenticate") or "").startswith("DPoP "), [status, data])

    status, data, _, _ = send(key, alg, "POST", "/refresh", token=refresh)
    check(alg + " refresh with proof", status == 200 and data and data.get("token_type") == "DPoP", [status, data])

if NONCES:
    check("nonce retries happened", nonce_retries > 0, nonce_retries)

raise SystemExit(1 if failed else 0)
