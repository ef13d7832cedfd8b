package main

import (
	"net/http"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// Sessions (spec: "Sessions"): every /login starts one, kept in the
// revocation store beside the revocations, when that store keeps sessions
// (revoke.SessionStore: memory, Redis, SQL). GET /sessions lists the
// caller's, DELETE /sessions/{id} ends one, POST /logout-others ends the
// others; /logout and /logout-all end them too, by revoking their family
// or their subject.

// enableSessions turns sessions on when the configured store can keep
// them: the spec's default.
func enableSessions(cfg *authjwt.Config) {
	if _, ok := cfg.Revocation.Store.(revoke.SessionStore); ok && cfg.Revocation.Enabled {
		cfg.Sessions.Enabled = true
	}
}

// sessionsBody is the answer of GET /sessions.
type sessionsBody struct {
	Sessions []authjwt.Session `json:"sessions"`
}

// handleSessions lists every live session of the token's subject, newest
// first: every page (a subject holds at most AUTHJWT_SESSIONS_MAX_PER_SUBJECT).
func (s *server) handleSessions(w http.ResponseWriter, r *http.Request) {
	t := authjwt.FromContext(r.Context())
	body := sessionsBody{Sessions: []authjwt.Session{}}
	cursor := ""
	for range s.cfg.Sessions.MaxPerSubject/revoke.MaxSessionPage + 1 {
		page, err := s.auth.Sessions(r.Context(), t, cursor, revoke.MaxSessionPage)
		if err != nil {
			s.auth.WriteError(w, r, err)
			return
		}
		body.Sessions = append(body.Sessions, page.Sessions...)
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	writeJSON(w, http.StatusOK, body)
}

// handleEndSession ends one session of the token's subject; any other id
// is 404 session_not_found.
func (s *server) handleEndSession(w http.ResponseWriter, r *http.Request) {
	t := authjwt.FromContext(r.Context())
	if err := s.auth.EndSession(r.Context(), t, r.PathValue("id")); err != nil {
		s.auth.WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, detail{"Session ended"})
}

// handleLogoutOthers ends every session of the token's subject but its
// own.
func (s *server) handleLogoutOthers(w http.ResponseWriter, r *http.Request) {
	if _, err := s.auth.EndOtherSessions(r.Context(), authjwt.FromContext(r.Context())); err != nil {
		s.auth.WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, detail{"Other sessions ended"})
}

// startSession issues the pair of a login: with sessions on, the pair of
// a new session, recording the request's user agent and address.
func (s *server) startSession(r *http.Request, name string, opts ...authjwt.TokenOption) (authjwt.Pair, error) {
	if !s.cfg.Sessions.Enabled {
		return s.auth.CreatePairContext(r.Context(), name, opts...)
	}
	return s.auth.StartSession(r, name, authjwt.SessionInfo{AuthTime: s.cfg.Now(), AuthMethod: "pwd"}, opts...)
}
