// Package demo holds the few lines every example shares and that have
// nothing to do with authjwt: the demo users, reading a login body,
// writing JSON, and starting the server.
package demo

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"time"
)

// Users are the demo accounts: username → password. A real application
// checks a password hash in its user store.
var Users = map[string]string{"alice": "secret", "bob": "hunter2"}

// ErrBadCredentials is returned by [Login] for a wrong username or
// password.
var ErrBadCredentials = errors.New("bad username or password")

// Login reads {"username": …, "password": …} from r and checks it against
// [Users]. It returns the username, [ErrBadCredentials], or an error
// saying what is wrong with the body.
func Login(r *http.Request) (string, error) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16))
	if err := dec.Decode(&body); err != nil {
		return "", errors.New("body must be {\"username\": …, \"password\": …}: " + err.Error())
	}
	if pw, ok := Users[body.Username]; !ok || pw != body.Password {
		return "", ErrBadCredentials
	}
	return body.Username, nil
}

// LoginOr401 is [Login] that answers the error itself: 401 for bad
// credentials, 422 for a bad body. ok is false when it answered.
func LoginOr401(w http.ResponseWriter, r *http.Request) (user string, ok bool) {
	user, err := Login(r)
	switch {
	case errors.Is(err, ErrBadCredentials):
		JSON(w, http.StatusUnauthorized, map[string]string{"detail": "Bad username or password"})
		return "", false
	case err != nil:
		JSON(w, http.StatusUnprocessableEntity, map[string]string{"detail": err.Error()})
		return "", false
	}
	return user, true
}

// JSON writes v as a JSON response with status. Responses that carry
// tokens must not be cached: JSON sets Cache-Control: no-store on all.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Secret returns AUTHJWT_SECRET_KEY, or a random 32-byte secret (tokens
// then do not survive a restart) when it is not set.
func Secret() string {
	if s := os.Getenv("AUTHJWT_SECRET_KEY"); s != "" {
		return s
	}
	log.Print("AUTHJWT_SECRET_KEY is not set: using a random secret (tokens will not survive a restart)")
	return rand.Text() + rand.Text()[:6] // 26+6 base32 characters: 32 bytes
}

// Addr is the -addr flag every example takes.
var Addr = flag.String("addr", "127.0.0.1:8000", "listen address")

// Serve parses the flags' values already defined, then serves h on -addr
// until the process ends.
func Serve(h http.Handler, err error) {
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *Addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("listening on http://%s", *Addr)
	log.Fatal(srv.ListenAndServe())
}
