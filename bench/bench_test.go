package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Sinks keep results alive so the compiler cannot drop the work.
var (
	sinkString string
	sinkErr    error
)

func benchmarkVerify(b *testing.B, alg string) {
	k := keys()
	tok := fixtures()[alg].valid
	for _, impl := range verifierImpls {
		b.Run(subName(impl.name), func(b *testing.B) {
			verify, err := impl.new(alg, k)
			if err != nil {
				b.Fatalf("%s/%s: setup: %v", impl.name, alg, err)
			}
			if verify == nil {
				b.Skipf("%s does not support %s", impl.name, alg)
			}
			if _, err := verify(tok); err != nil { // never time a failing path
				b.Fatalf("%s/%s: rejects the valid token: %v", impl.name, alg, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				sinkString, sinkErr = verify(tok)
			}
			if sinkErr != nil {
				b.Fatal(sinkErr)
			}
		})
	}
}

func BenchmarkVerifyHS256(b *testing.B) { benchmarkVerify(b, HS256) }
func BenchmarkVerifyES256(b *testing.B) { benchmarkVerify(b, ES256) }
func BenchmarkVerifyRS256(b *testing.B) { benchmarkVerify(b, RS256) }
func BenchmarkVerifyPS256(b *testing.B) { benchmarkVerify(b, PS256) }
func BenchmarkVerifyEdDSA(b *testing.B) { benchmarkVerify(b, EdDSA) }

func BenchmarkSignHS256(b *testing.B) {
	k := keys()
	for _, impl := range signerImpls {
		b.Run(subName(impl.name), func(b *testing.B) {
			sign, err := impl.new(k)
			if err != nil {
				b.Fatalf("%s: setup: %v", impl.name, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				sinkString, sinkErr = sign()
			}
			if sinkErr != nil {
				b.Fatal(sinkErr)
			}
		})
	}
}

// newBearerRequest is the request reused across iterations.
func newBearerRequest(tok string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, mwPath, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return req
}

func BenchmarkMiddleware(b *testing.B) {
	k := keys()
	req := newBearerRequest(fixtures()[HS256].valid)
	for _, impl := range mwImpls {
		b.Run(subName(impl.name), func(b *testing.B) {
			h, err := impl.new(k)
			if err != nil {
				b.Fatalf("%s: setup: %v", impl.name, err)
			}
			if rec := serve(h, req); rec.Code != http.StatusOK {
				b.Fatalf("%s: valid token answered %d: %s", impl.name, rec.Code, rec.Body)
			}
			b.ReportAllocs()
			var code int
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				code = rec.Code
			}
			if code != http.StatusOK {
				b.Fatalf("%s: answered %d", impl.name, code)
			}
		})
	}
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
