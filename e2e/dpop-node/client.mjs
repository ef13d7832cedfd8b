// An independent client of the authjwt reference server: panva's `dpop`
// (proofs) and `oauth4webapi` (DPoP handle, WWW-Authenticate parsing,
// RFC 9728 resource discovery), pinned in package-lock.json. Nothing here
// comes from authjwt. e2e/dpop_node_test.go runs it against a server it
// starts and reads the result lines: "ok <check>" or "FAIL <check>: …".
//
// Environment: AUTHJWT_BASE (the server, https://127.0.0.1:PORT),
// AUTHJWT_RESOURCE_ID (the resource identifier the metadata must name;
// default AUTHJWT_BASE), DPOP_ALGS (comma-separated, default ES256),
// DPOP_NONCE=1 when the server demands nonces, DPOP_REQUIRED=1 when it
// requires DPoP-bound tokens (AUTHJWT_DPOP=required).
import * as DPoP from 'dpop'
import * as oauth from 'oauth4webapi'

const base = process.env.AUTHJWT_BASE
const resourceId = process.env.AUTHJWT_RESOURCE_ID || base
const algs = (process.env.DPOP_ALGS || 'ES256').split(',')
const nonces = process.env.DPOP_NONCE === '1'

let failed = false
function check(name, cond, detail) {
  if (cond) {
    console.log(`ok ${name}`)
  } else {
    failed = true
    console.log(`FAIL ${name}: ${JSON.stringify(detail)}`)
  }
}

// The server's latest DPoP-Nonce, as a client keeps it.
let nonce
// How many times the server asked for a nonce (use_dpop_nonce) and we
// retried with the one it sent.
let nonceRetries = 0

// send makes a request with a proof from the `dpop` package, retrying
// once with the server's nonce when it answers use_dpop_nonce.
async function send(keypair, method, path, { token, scheme = 'DPoP', body, proof } = {}) {
  const url = base + path
  for (let attempt = 0; ; attempt++) {
    const p = proof ?? (await DPoP.generateProof(keypair, url, method, nonce, token))
    const headers = { DPoP: p }
    if (token) headers.Authorization = `${scheme} ${token}`
    if (body) headers['Content-Type'] = 'application/json'
    const res = await fetch(url, { method, headers, body })
    const n = res.headers.get('dpop-nonce')
    if (n) nonce = n
    const challenge = res.headers.get('www-authenticate') || ''
    if (res.status === 401 && challenge.includes('use_dpop_nonce') && attempt === 0 && !proof) {
      nonceRetries++
      continue
    }
    let json
    try {
      json = await res.json()
    } catch {
      json = null
    }
    return { status: res.status, json, challenge, proof: p }
  }
}

const login = JSON.stringify({ username: 'alice', password: 'secret' })

for (const alg of algs) {
  const keypair = await DPoP.generateKeyPair(alg)
  const jkt = await DPoP.calculateThumbprint(keypair.publicKey)

  // Login with a proof: DPoP-bound tokens.
  const l = await send(keypair, 'POST', '/login', { body: login })
  check(`${alg} login binds`, l.status === 200 && l.json?.token_type === 'DPoP', l)
  const access = l.json?.access_token
  const refresh = l.json?.refresh_token
  const claims = JSON.parse(Buffer.from((access || '..').split('.')[1], 'base64url').toString() || '{}')
  check(`${alg} cnf.jkt is the key's RFC 7638 thumbprint`, claims.cnf?.jkt === jkt, { cnf: claims.cnf, jkt })

  // The resource accepts the bound token with a proof carrying ath.
  const p = await send(keypair, 'GET', '/protected', { token: access })
  check(`${alg} protected with proof`, p.status === 200 && p.json?.user === 'alice', p)
  // The same proof again is a replay.
  const again = await send(keypair, 'GET', '/protected', { token: access, proof: p.proof })
  check(`${alg} replayed proof refused`, again.status === 401 && again.challenge.startsWith('DPoP '), again)
  // The bound token as a bearer token is refused.
  const bearer = await fetch(base + '/protected', { headers: { Authorization: `Bearer ${access}` } })
  check(`${alg} bound token as Bearer refused`, bearer.status === 401, { status: bearer.status })
  // A proof of another key is refused.
  const other = await DPoP.generateKeyPair(alg)
  const wrong = await send(other, 'GET', '/protected', { token: access })
  check(`${alg} other key refused`, wrong.status === 401, wrong)

  // Refresh: a bound refresh token with a proof of its key gives bound tokens.
  const r = await send(keypair, 'POST', '/refresh', { token: refresh })
  check(`${alg} refresh with proof`, r.status === 200 && r.json?.token_type === 'DPoP', r)
  const refreshed = r.json?.access_token

  // oauth4webapi's own DPoP handle (its proofs, its nonce cache) on the
  // refreshed token, with the nonce retry its documentation prescribes.
  const handle = oauth.DPoP({ client_id: 'authjwt-e2e' }, keypair)
  let res
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      res = await oauth.protectedResourceRequest(refreshed, 'GET', new URL(base + '/protected'), undefined, undefined, { DPoP: handle })
      break
    } catch (err) {
      if (oauth.isDPoPNonceError(err) && attempt === 0) {
        nonceRetries++
        continue
      }
      res = err
      break
    }
  }
  const body = res instanceof Response ? await res.json() : { error: String(res), cause: res?.cause }
  check(`${alg} oauth4webapi protectedResourceRequest`, res instanceof Response && res.status === 200 && body.user === 'alice', body)
}

if (nonces) {
  check('nonce retries happened', nonceRetries > 0, { nonceRetries })
}

// RFC 9728: a refused request is challenged with the metadata's URL,
// which oauth4webapi's challenge parser reads (it throws the parsed
// challenges); its resource discovery derives the same URL from the
// identifier and validates the document.
let challenges = []
try {
  await oauth.protectedResourceRequest('not-a-token', 'GET', new URL(base + '/protected'))
} catch (err) {
  if (err instanceof oauth.WWWAuthenticateChallengeError) challenges = err.cause
}
const advertised = challenges.map((c) => c.parameters.resource_metadata).find(Boolean)
check('challenge carries resource_metadata', advertised, { challenges })
let meta
try {
  const dr = await oauth.resourceDiscoveryRequest(new URL(resourceId))
  check('discovery URL equals the advertised one', dr.url === advertised, { discovered: dr.url, advertised })
  meta = await oauth.processResourceDiscoveryResponse(new URL(resourceId), dr)
} catch (err) {
  check('resource discovery', false, { error: String(err), cause: err?.cause })
}
if (meta) {
  check('discovered resource', meta.resource === resourceId, meta)
  for (const alg of algs) {
    check(`metadata lists ${alg}`, meta.dpop_signing_alg_values_supported?.includes(alg), meta)
  }
  check('metadata bearer methods', JSON.stringify(meta.bearer_methods_supported) === '["header"]', meta)
  const required = process.env.DPOP_REQUIRED === '1'
  check('metadata says whether DPoP is required', (meta.dpop_bound_access_tokens_required === true) === required, meta)
  if (required) {
    // Then a login without a proof gets no bearer token, or one that no
    // protected route accepts; either way the challenge names DPoP.
    const l = await fetch(base + '/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: login })
    const lc = l.headers.get('www-authenticate') || ''
    let ok = l.status === 401 && lc.startsWith('DPoP ')
    let detail = { login: l.status, challenge: lc }
    if (l.status === 200) {
      const b = await fetch(base + '/protected', { headers: { Authorization: `Bearer ${(await l.json()).access_token}` } })
      const bc = b.headers.get('www-authenticate') || ''
      ok = b.status === 401 && bc.startsWith('DPoP ')
      detail = { login: 200, status: b.status, challenge: bc }
    }
    check('bearer refused when DPoP is required', ok, detail)
  }
}

process.exitCode = failed ? 1 : 0
