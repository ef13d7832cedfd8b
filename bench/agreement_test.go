package bench

import (
	"net/http"
	"testing"
)

// TestAgreement guards the benchmarks: every implementation must accept the
// shared valid token and reject every bad one, so no benchmark can time a
// path that skips a check. The floor (signature only, no JSON) is held to
// the cases a signature check decides; claim cases do not apply to it.
func TestAgreement(t *testing.T) {
	k := keys()
	fx := fixtures()
	for _, alg := range allAlgs {
		f := fx[alg]
		for _, impl := range verifierImpls {
			t.Run("Verify"+alg+"/"+subName(impl.name), func(t *testing.T) {
				verify, err := impl.new(alg, k)
				if err != nil {
					t.Fatalf("setup: %v", err)
				}
				if verify == nil {
					t.Skipf("%s does not support %s", impl.name, alg)
				}
				sub, err := verify(f.valid)
				if err != nil {
					t.Fatalf("valid token rejected: %v", err)
				}
				if !impl.floor && sub != benchSubject {
					t.Errorf("subject = %q, want %q", sub, benchSubject)
				}
				for _, bad := range f.bad {
					if impl.floor && !bad.sigOnly {
						continue
					}
					if _, err := verify(bad.token); err == nil {
						t.Errorf("%s: accepted", bad.name)
					}
				}
			})
		}
	}
	for _, impl := range mwImpls {
		t.Run("Middleware/"+subName(impl.name), func(t *testing.T) {
			h, err := impl.new(k)
			if err != nil {
				t.Fatalf("setup: %v", err)
			}
			if rec := serve(h, newBearerRequest(fx[HS256].valid)); rec.Code != http.StatusOK {
				t.Fatalf("valid token answered %d: %s", rec.Code, rec.Body)
			}
			if impl.noAuth {
				return
			}
			isFloor := impl.name == "floor"
			for _, bad := range fx[HS256].bad {
				rec := serve(h, newBearerRequest(bad.token))
				switch {
				case bad.freshOnly:
					// "access token required" must accept a non-fresh access token.
					if rec.Code != http.StatusOK {
						t.Errorf("%s: valid non-fresh access token answered %d", bad.name, rec.Code)
					}
				case isFloor && !bad.sigOnly:
				case rec.Code < 400:
					t.Errorf("%s: answered %d", bad.name, rec.Code)
				}
			}
			if rec := serve(h, newBearerRequest("")); rec.Code < 400 {
				t.Errorf("empty bearer: answered %d", rec.Code)
			}
			noAuth, _ := http.NewRequest(http.MethodGet, mwPath, nil)
			if rec := serve(h, noAuth); rec.Code < 400 {
				t.Errorf("no Authorization header: answered %d", rec.Code)
			}
		})
	}
}

// TestSignersAgree: every Sign benchmark produces a token with the seed's
// claim set that a fully validating verifier accepts.
func TestSignersAgree(t *testing.T) {
	k := keys()
	for _, impl := range signerImpls {
		t.Run(subName(impl.name), func(t *testing.T) {
			sign, err := impl.new(k)
			if err != nil {
				t.Fatalf("setup: %v", err)
			}
			tok, err := sign()
			if err != nil {
				t.Fatalf("sign: %v", err)
			}
			if err := referenceCheck(k, tok); err != nil {
				t.Errorf("token %s: %v", tok, err)
			}
			tok2, _ := sign()
			if tok2 == tok {
				t.Errorf("two tokens are identical: jti/iat not fresh per call")
			}
		})
	}
}

// TestFixturesAreSound: every claim-based bad token carries a valid
// signature (the floor accepts it), so rejecting it proves the claim check
// ran, not that the token was malformed.
func TestFixturesAreSound(t *testing.T) {
	k := keys()
	for alg, f := range fixtures() {
		verify, err := newFloorVerifier(alg, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range f.bad {
			_, err := verify(bad.token)
			if bad.sigOnly && err == nil {
				t.Errorf("%s/%s: signature-level case passes the floor", alg, bad.name)
			}
			if !bad.sigOnly && err != nil {
				t.Errorf("%s/%s: claim-level case has a bad signature: %v", alg, bad.name, err)
			}
		}
	}
}
