package revoke

import (
	"cmp"
	"context"
	"slices"
	"time"
)

var _ SessionStore = (*Memory)(nil)

// truncMilli truncates t to the millisecond, keeping the zero time zero.
func truncMilli(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli())
}

// newerFirst orders sessions newest first: CreatedAt descending, then ID
// descending.
func newerFirst(a, b *Session) int {
	if c := cmp.Compare(b.CreatedAt.UnixMilli(), a.CreatedAt.UnixMilli()); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// hiddenLocked reports whether s is not live at now (Unix ns); m.mu is
// held.
func (m *Memory) hiddenLocked(s *Session, now int64) bool {
	if s.Expires.UnixNano() <= now && !s.Expires.IsZero() {
		return true
	}
	if exp, ok := m.families[s.ID]; ok && exp > now {
		return true
	}
	if e, ok := m.subjects[subjectKey{s.Issuer, s.Subject}]; ok && e.expires > now && s.CreatedAt.UnixMilli() <= e.cutoff {
		return true
	}
	return false
}

// CreateSession records s and returns the subject's live sessions beyond
// max, oldest first (see [SessionStore]). The subject's hidden sessions
// are removed.
func (m *Memory) CreateSession(ctx context.Context, s Session, max int) ([]Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastUsedAt, s.AuthTime = truncMilli(s.CreatedAt), truncMilli(s.LastUsedAt), truncMilli(s.AuthTime)
	k := subjectKey{s.Issuer, s.Subject}
	now := m.now().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	tab := m.sessions[k]
	if tab == nil {
		tab = make(map[string]*Session)
		m.sessions[k] = tab
	}
	for id, old := range tab {
		if m.hiddenLocked(old, now) {
			delete(tab, id)
		}
	}
	stored := s
	tab[s.ID] = &stored
	if max <= 0 || len(tab) <= max {
		return nil, nil
	}
	others := make([]*Session, 0, len(tab))
	for _, v := range tab {
		if v.ID != s.ID && !m.hiddenLocked(v, now) {
			others = append(others, v)
		}
	}
	if len(others) < max {
		return nil, nil
	}
	slices.SortFunc(others, newerFirst)
	var over []Session
	for i := len(others) - 1; i >= max-1; i-- {
		over = append(over, *others[i])
	}
	return over, nil
}

// TouchSession moves the live session's LastUsedAt forward to at.
func (m *Memory) TouchSession(ctx context.Context, issuer, subject, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	at = truncMilli(at)
	now := m.now().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sessions[subjectKey{issuer, subject}][id]; ok && !m.hiddenLocked(s, now) && at.After(s.LastUsedAt) {
		s.LastUsedAt = at
	}
	return nil
}

// GetSession returns the live session id of (issuer, subject), or
// [ErrSessionNotFound].
func (m *Memory) GetSession(ctx context.Context, issuer, subject, id string) (Session, error) {
	if err := ctx.Err(); err != nil {
		return Session{}, err
	}
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if s, ok := m.sessions[subjectKey{issuer, subject}][id]; ok && !m.hiddenLocked(s, now) {
		return *s, nil
	}
	return Session{}, ErrSessionNotFound
}

// ListSessions returns up to limit live sessions of (issuer, subject)
// after the cursor, newest first.
func (m *Memory) ListSessions(ctx context.Context, issuer, subject string, after SessionCursor, limit int) ([]Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckSessionLimit(limit); err != nil {
		return nil, err
	}
	now := m.now().UnixNano()
	m.mu.RLock()
	live := make([]*Session, 0, len(m.sessions[subjectKey{issuer, subject}]))
	cur := &Session{CreatedAt: truncMilli(after.CreatedAt), ID: after.ID}
	for _, s := range m.sessions[subjectKey{issuer, subject}] {
		if !m.hiddenLocked(s, now) && (after.IsZero() || newerFirst(cur, s) < 0) {
			live = append(live, s)
		}
	}
	slices.SortFunc(live, newerFirst)
	if len(live) > limit {
		live = live[:limit]
	}
	out := make([]Session, len(live))
	for i, s := range live {
		out[i] = *s
	}
	m.mu.RUnlock()
	return out, nil
}

// DeleteSession forgets the session id of (issuer, subject).
func (m *Memory) DeleteSession(ctx context.Context, issuer, subject, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := subjectKey{issuer, subject}
	m.mu.Lock()
	if tab, ok := m.sessions[k]; ok {
		delete(tab, id)
		if len(tab) == 0 {
			delete(m.sessions, k)
		}
	}
	m.mu.Unlock()
	return nil
}

// sweepSessionsLocked deletes expired sessions, and reports how many;
// m.mu is held.
func (m *Memory) sweepSessionsLocked(now int64) int {
	n := 0
	for k, tab := range m.sessions {
		for id, s := range tab {
			if !s.Expires.IsZero() && s.Expires.UnixNano() <= now {
				delete(tab, id)
				n++
			}
		}
		if len(tab) == 0 {
			delete(m.sessions, k)
		}
	}
	return n
}

func (m *Memory) sessionCountLocked() int {
	n := 0
	for _, tab := range m.sessions {
		n += len(tab)
	}
	return n
}
