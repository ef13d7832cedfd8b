package keys_test

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/librenz/authjwt/keys"
)

func ExampleThumbprint() {
	data, _ := os.ReadFile("testdata/rfc7638_rsa.json")
	k, err := keys.ParseJWK(data)
	if err != nil {
		panic(err)
	}
	tp, _ := keys.Thumbprint(k.Public)
	fmt.Println(k.KID, k.Alg, tp)
	// Output: 2011-04-29 RS256 NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs
}

func ExampleParseJWK() {
	_, err := keys.ParseJWK([]byte(`{"kty":"oct","k":"c2VjcmV0"}`))
	fmt.Println(err)
	k, _ := keys.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"EdDSA"}`))
	fmt.Println(k.Alg, k.Accepts("EdDSA"), k.Accepts("Ed25519"), k.Accepts("ES256"))
	// Output:
	// authjwt: JWK holds private or symmetric member "k"; only public keys are accepted
	// EdDSA true true false
}

func ExampleSet() {
	set := keys.NewSet(keys.AllowMissingKID())
	old, _ := keys.NewHMACKey("HS256", "", bytes.Repeat([]byte("o"), 32))
	cur, _ := keys.NewHMACKey("HS256", "", bytes.Repeat([]byte("n"), 32))
	_, _ = set.AddSigner(old)
	_, _ = set.AddSigner(cur) // rotate: the new secret signs, the old one still verifies
	for k := range set.Candidates("HS256") {
		fmt.Println(string(k.Secret[:1]))
	}
	set.RemoveFunc(func(k keys.Key) bool { return k.Secret[0] == 'o' }) // retire the old secret
	fmt.Println(len(set.Keys()))
	// Output:
	// n
	// o
	// 1
}

func ExampleHandler() {
	set := keys.NewSet()
	mac, _ := keys.NewHMACKey("HS256", "mac", bytes.Repeat([]byte("s"), 32))
	_, _ = set.AddSigner(mac)
	pub, _ := keys.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"EdDSA"}`))
	pub.KID = "" // default kid: the thumbprint
	_, _ = set.Add(pub)
	w := httptest.NewRecorder()
	keys.Handler(set).ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	fmt.Print(w.Code, " ", w.Header().Get("Content-Type"), "\n", w.Body.String())
	// Output:
	// 200 application/jwk-set+json
	// {"keys":[{"kty":"OKP","kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k","use":"sig","alg":"EdDSA","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}
}

func ExampleCheckKey() {
	fmt.Println(keys.CheckKey("HS256", []byte("too short")))
	fmt.Println(keys.CheckKey("none", nil))
	// Output:
	// authjwt: HS256 secret is 9 bytes; at least 32 are required
	// authjwt: algorithm "none" is not allowed
}
