package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/librenz/authjwt/revoke"
)

var _ revoke.SessionStore = (*Store)(nil)

// sessionQueries are the statements of the sessions table, built with the
// others by buildQueries.
type sessionQueries struct {
	upsert  string // issuer, subject, id, created, last used, expires, auth time, method, agent, ip, label
	hidden  string // issuer, subject, id (kept), now, now, now: ids of the subject's hidden sessions
	delete  string // issuer, subject, id
	touch   string // at, issuer, subject, id, now, at, now, now
	get     string // live(now×3), issuer, subject, id
	list    string // live(now×3), issuer, subject, limit
	listAft string // live(now×3), issuer, subject, created, created, id, limit
	others  string // live(now×3), issuer, subject, id (excluded): newest first
}

// sessionCols are the columns a session is read from, in scanSession's
// order.
const sessionCols = "s.id, s.created_at, s.last_used_at, s.expires_at, s.auth_time, s.auth_method, s.user_agent, s.client_ip, s.label"

// noAuthTime is the auth_time of a session whose AuthTime is unknown.
const noAuthTime = -1 << 63

// buildSessionQueries adds the sessions table to s.create and builds its
// statements. sid is the column type of ids, str(n) that of a string of
// at most n bytes.
func (s *Store) buildSessionQueries(idType, intType, tail string, idx func(string) string) {
	p := s.prefix
	ses, fam, sub := p+"sessions", p+"families", p+"subjects"
	nn := " NOT NULL"
	str := func(n int) string {
		if s.dialect == MySQL {
			return fmt.Sprintf("VARBINARY(%d)", n)
		}
		return "TEXT"
	}
	sidType := idType
	if s.dialect == MySQL {
		sidType = fmt.Sprintf("VARBINARY(%d)", revoke.MaxSessionIDLen)
	}
	s.create = append(s.create,
		"CREATE TABLE IF NOT EXISTS "+ses+" (issuer "+idType+nn+", subject "+idType+nn+", id "+sidType+nn+
			", created_at "+intType+nn+", last_used_at "+intType+nn+", expires_at "+intType+nn+", auth_time "+intType+nn+
			", auth_method "+str(revoke.MaxAuthMethodLen)+nn+", user_agent "+str(revoke.MaxUserAgentLen)+nn+
			", client_ip "+str(revoke.MaxClientIPLen)+nn+", label "+str(revoke.MaxSessionLabelLen)+nn+
			", PRIMARY KEY (issuer, subject, id)"+idx(ses)+sessionOrderIndex(s.dialect, ses)+")"+tail)
	// Newest first is id descending in byte order: PostgreSQL compares
	// text in the database's collation unless told otherwise.
	idOrd := "s.id"
	if s.dialect == Postgres {
		idOrd = `s.id COLLATE "C"`
		s.create = append(s.create, "CREATE INDEX IF NOT EXISTS "+ses+"_order ON "+ses+` (issuer, subject, created_at, id COLLATE "C")`)
	}
	if s.dialect == SQLite {
		s.create = append(s.create, "CREATE INDEX IF NOT EXISTS "+ses+"_order ON "+ses+" (issuer, subject, created_at, id)")
	}
	if s.dialect != MySQL {
		s.create = append(s.create, "CREATE INDEX IF NOT EXISTS "+ses+"_exp ON "+ses+" (expires_at)")
	}

	// A session is hidden by its expiry, a live family entry of its id or
	// a live cutoff of its subject at or after its creation.
	hiddenBy := "(s.expires_at <= ? OR EXISTS (SELECT 1 FROM " + fam + " f WHERE f.id = s.id AND f.expires_at > ?)" +
		" OR EXISTS (SELECT 1 FROM " + sub + " u WHERE u.issuer = s.issuer AND u.subject = s.subject AND " +
		cutoffMsExpr("u.cutoff") + " >= s.created_at AND u.expires_at > ?))"
	live := "NOT " + hiddenBy
	from := " FROM " + ses + " s WHERE " + live + " AND s.issuer = ? AND s.subject = ?"
	order := " ORDER BY s.created_at DESC, " + idOrd + " DESC"

	q := &s.qSess
	switch s.dialect {
	case Postgres, SQLite:
		q.upsert = "INSERT INTO " + ses + " (issuer, subject, id, created_at, last_used_at, expires_at, auth_time, auth_method, user_agent, client_ip, label)" +
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (issuer, subject, id) DO UPDATE SET" +
			" created_at = EXCLUDED.created_at, last_used_at = EXCLUDED.last_used_at, expires_at = EXCLUDED.expires_at," +
			" auth_time = EXCLUDED.auth_time, auth_method = EXCLUDED.auth_method, user_agent = EXCLUDED.user_agent," +
			" client_ip = EXCLUDED.client_ip, label = EXCLUDED.label"
	case MySQL:
		q.upsert = "INSERT INTO " + ses + " (issuer, subject, id, created_at, last_used_at, expires_at, auth_time, auth_method, user_agent, client_ip, label)" +
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE" +
			" created_at = VALUES(created_at), last_used_at = VALUES(last_used_at), expires_at = VALUES(expires_at)," +
			" auth_time = VALUES(auth_time), auth_method = VALUES(auth_method), user_agent = VALUES(user_agent)," +
			" client_ip = VALUES(client_ip), label = VALUES(label)"
	}
	q.upsert = s.rebind(q.upsert)
	q.hidden = s.rebind("SELECT s.id FROM " + ses + " s WHERE s.issuer = ? AND s.subject = ? AND s.id <> ? AND " + hiddenBy)
	q.delete = s.rebind("DELETE FROM " + ses + " WHERE issuer = ? AND subject = ? AND id = ?")
	q.touch = s.rebind("UPDATE " + ses + " SET last_used_at = ? WHERE issuer = ? AND subject = ? AND id = ? AND expires_at > ? AND last_used_at < ?" +
		" AND NOT EXISTS (SELECT 1 FROM " + fam + " f WHERE f.id = " + ses + ".id AND f.expires_at > ?)" +
		" AND NOT EXISTS (SELECT 1 FROM " + sub + " u WHERE u.issuer = " + ses + ".issuer AND u.subject = " + ses + ".subject AND " +
		cutoffMsExpr("u.cutoff") + " >= " + ses + ".created_at AND u.expires_at > ?)")
	q.get = s.rebind("SELECT " + sessionCols + from + " AND s.id = ?")
	q.list = s.rebind("SELECT " + sessionCols + from + order + " LIMIT ?")
	q.listAft = s.rebind("SELECT " + sessionCols + from + " AND (s.created_at < ? OR s.created_at = ? AND " + idOrd + " < ?)" + order + " LIMIT ?")
	q.others = s.rebind("SELECT " + sessionCols + from + " AND s.id <> ?" + order)
	s.qDelete = append(s.qDelete, s.rebind("DELETE FROM "+ses+" WHERE expires_at <= ?"))
}

// sessionOrderIndex is MySQL's inline index for listing in order (the
// other dialects create it with CREATE INDEX).
func sessionOrderIndex(d Dialect, table string) string {
	if d == MySQL {
		return ", INDEX " + table + "_order (issuer, subject, created_at, id)"
	}
	return ""
}

// checkSession is [revoke.Session.Validate] with this package's prefix and
// this store's own limit: issuer and subject at most [MaxIDLen] bytes.
func checkSession(x revoke.Session) error {
	if err := x.Validate(); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	if len(x.Issuer) > MaxIDLen || len(x.Subject) > MaxIDLen {
		return errTooLong
	}
	return nil
}

func (s *Store) liveArgs() []any {
	now := s.now().UnixMilli()
	return []any{now, now, now}
}

type rowScanner interface{ Scan(...any) error }

func scanSession(r rowScanner, issuer, subject string) (revoke.Session, error) {
	x := revoke.Session{Issuer: issuer, Subject: subject}
	var created, used, exp, auth int64
	if err := r.Scan(&x.ID, &created, &used, &exp, &auth, &x.AuthMethod, &x.UserAgent, &x.ClientIP, &x.Label); err != nil {
		return revoke.Session{}, err
	}
	x.CreatedAt, x.LastUsedAt = time.UnixMilli(created), time.UnixMilli(used)
	if exp != forever {
		x.Expires = time.UnixMilli(exp)
	}
	if auth != noAuthTime {
		x.AuthTime = time.UnixMilli(auth)
	}
	return x, nil
}

func (s *Store) querySessions(ctx context.Context, issuer, subject, q string, args ...any) ([]revoke.Session, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(ctx, err)
	}
	defer rows.Close()
	var out []revoke.Session
	for rows.Next() {
		x, err := scanSession(rows, issuer, subject)
		if err != nil {
			return nil, wrap(ctx, err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(ctx, err)
	}
	return out, nil
}

// CreateSession records x (replacing a session of the same id), deletes
// the subject's hidden sessions and, when max > 0, returns its other live
// sessions beyond the max-1 newest, oldest first (see
// [revoke.SessionStore]). Each statement commits on its own: the
// contract needs no transaction, and none holds locks across the
// statements of concurrent logins of one subject.
func (s *Store) CreateSession(ctx context.Context, x revoke.Session, max int) ([]revoke.Session, error) {
	if err := checkSession(x); err != nil {
		return nil, err
	}
	auth := int64(noAuthTime)
	if !x.AuthTime.IsZero() {
		auth = x.AuthTime.UnixMilli()
	}
	if _, err := s.exec(ctx, s.qSess.upsert, x.Issuer, x.Subject, x.ID, x.CreatedAt.UnixMilli(), x.LastUsedAt.UnixMilli(),
		expiryMillis(x.Expires), auth, x.AuthMethod, x.UserAgent, x.ClientIP, x.Label); err != nil {
		return nil, err
	}
	// The subject's hidden sessions, deleted by primary key: on MySQL a
	// range DELETE would also lock the gaps concurrent logins insert into.
	now := s.now().UnixMilli()
	rows, err := s.db.QueryContext(ctx, s.qSess.hidden, x.Issuer, x.Subject, x.ID, now, now, now)
	if err != nil {
		return nil, wrap(ctx, err)
	}
	var hidden []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrap(ctx, err)
		}
		hidden = append(hidden, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(ctx, err)
	}
	for _, id := range hidden {
		if _, err := s.exec(ctx, s.qSess.delete, x.Issuer, x.Subject, id); err != nil {
			return nil, err
		}
	}
	if max <= 0 {
		return nil, nil
	}
	others, err := s.querySessions(ctx, x.Issuer, x.Subject, s.qSess.others, append(s.liveArgs(), x.Issuer, x.Subject, x.ID)...)
	if err != nil || len(others) <= max-1 {
		return nil, err
	}
	var over []revoke.Session
	for i := len(others) - 1; i >= max-1; i-- {
		over = append(over, others[i])
	}
	return over, nil
}

// TouchSession raises the last use of the live session id to at.
func (s *Store) TouchSession(ctx context.Context, issuer, subject, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" || len(id) > revoke.MaxSessionIDLen {
		return nil
	}
	now, ms := s.now().UnixMilli(), at.UnixMilli()
	_, err := s.exec(ctx, s.qSess.touch, ms, issuer, subject, id, now, ms, now, now)
	return err
}

// GetSession returns the live session id of (issuer, subject), or an
// error wrapping [revoke.ErrSessionNotFound].
func (s *Store) GetSession(ctx context.Context, issuer, subject, id string) (revoke.Session, error) {
	if err := ctx.Err(); err != nil {
		return revoke.Session{}, err
	}
	if id == "" || len(id) > revoke.MaxSessionIDLen {
		return revoke.Session{}, fmt.Errorf("sqlstore: %w", revoke.ErrSessionNotFound)
	}
	x, err := scanSession(s.db.QueryRowContext(ctx, s.qSess.get, append(s.liveArgs(), issuer, subject, id)...), issuer, subject)
	if errors.Is(err, sql.ErrNoRows) {
		return revoke.Session{}, fmt.Errorf("sqlstore: %w", revoke.ErrSessionNotFound)
	}
	if err != nil {
		return revoke.Session{}, wrap(ctx, err)
	}
	return x, nil
}

// ListSessions returns up to limit live sessions of (issuer, subject)
// after the cursor, newest first, in one query.
func (s *Store) ListSessions(ctx context.Context, issuer, subject string, after revoke.SessionCursor, limit int) ([]revoke.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := revoke.CheckSessionLimit(limit); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	args := append(s.liveArgs(), issuer, subject)
	q := s.qSess.list
	if !after.IsZero() {
		c := after.CreatedAt.UnixMilli()
		q, args = s.qSess.listAft, append(args, c, c, after.ID)
	}
	return s.querySessions(ctx, issuer, subject, q, append(args, limit)...)
}

// DeleteSession forgets the session id of (issuer, subject).
func (s *Store) DeleteSession(ctx context.Context, issuer, subject, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := s.exec(ctx, s.qSess.delete, issuer, subject, id)
	return err
}
