package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/librenz/authjwt/stores/redisstore"
)

// Redis client settings the command applies unless the URL sets them.
const (
	// redisDefaultMaxConns bounds each Redis client's connections (go-redis
	// PoolSize and MaxActiveConns, pipelines included; per node for a
	// Cluster). go-redis's own
	// default is 10 per CPU, opened beyond that on demand without bound.
	redisDefaultMaxConns = 32
	// redisDialTimeout bounds a connection attempt made outside a request
	// (pool refills, a Sentinel's master lookup); a request's attempts are
	// bounded by AUTHJWT_STORE_TIMEOUT through its context.
	redisDialTimeout = 2 * time.Second
	// redisClusterReloadInterval is how often a Cluster client reloads the
	// slot map. go-redis's default (60 s) left most checks failing for about
	// fifty seconds after a master failover; a CLUSTER SLOTS a second costs
	// nothing.
	redisClusterReloadInterval = time.Second
)

// sentinelPasswordParam is the Sentinels' own password, when they have one
// (the URL's user and password are the data nodes').
const sentinelPasswordParam = "sentinel_password"

// redisKind is what a Redis URL says the server is.
type redisKind int

const (
	redisSingle   redisKind = iota // redis://, rediss://
	redisCluster                   // redis-cluster://
	redisSentinel                  // redis-sentinel://
)

// redisURLForms is the list of the Redis URL forms, for errors.
const redisURLForms = "redis://HOST:PORT/DB, redis-cluster://HOST:PORT,HOST:PORT,… or redis-sentinel://HOST:PORT,…/MASTER_NAME/DB"

// redisHosts splits the host part of a cluster or sentinel URL into
// HOST:PORT addresses (port 6379 or, for Sentinel, 26379 by default).
func redisHosts(hostList, defaultPort string) ([]string, error) {
	var addrs []string
	for h := range strings.SplitSeq(hostList, ",") {
		if h == "" {
			return nil, fmt.Errorf("empty host in %q", hostList)
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = h, defaultPort
		}
		if host == "" {
			return nil, fmt.Errorf("%q has no host", h)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%q: %q is not a port number", h, port)
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	return addrs, nil
}

// splitRedisURL parses a redis-cluster:// or redis-sentinel:// URL, whose
// host part is a comma-separated list url.Parse does not take as such. It
// returns the URL with the first host only, and every host.
func splitRedisURL(rawURL, defaultPort string) (*url.URL, []string, error) {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hostList := "", authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo, hostList = authority[:i+1], authority[i+1:]
	}
	if hostList == "" {
		return nil, nil, errors.New("needs at least one HOST:PORT")
	}
	addrs, err := redisHosts(hostList, defaultPort)
	if err != nil {
		return nil, nil, err
	}
	u, err := url.Parse(scheme + "://" + userinfo + addrs[0] + tail)
	if err != nil {
		return nil, nil, errors.New("not a URL")
	}
	return u, addrs, nil
}

// goRedisURL is u with the redis (or, for the TLS schemes, rediss) scheme
// and addr= parameters for the other hosts: the form go-redis's
// ParseClusterURL and ParseFailoverURL read.
func goRedisURL(u *url.URL, scheme string, others []string, extra url.Values) string {
	v := *u
	v.Scheme = scheme
	q := v.Query()
	for _, a := range others {
		q.Add("addr", a)
	}
	for k, vs := range extra {
		q[k] = vs
	}
	v.RawQuery = q.Encode()
	return v.String()
}

// redisClient is an opened Redis client with what the start-up checks
// need to know about it.
type redisClient struct {
	client redis.UniversalClient
	kind   redisKind
	// addrs are the addresses the URL names (seeds, Sentinels or the node).
	addrs []string
	// master is the Sentinel master name.
	master string
}

// newRedisClient builds the go-redis client of a redis://, rediss://,
// redis-cluster:// or redis-sentinel:// URL from which ?prefix= has been
// taken, applying the command's defaults where the URL sets nothing.
func newRedisClient(u *url.URL, rawURL string) (*redisClient, error) {
	password, _ := u.User.Password()
	maxConns, err := takeMaxConns(u)
	if err != nil {
		return nil, err
	}
	goRedisErr := func(err error) error {
		return errors.New(scrub(strings.TrimPrefix(err.Error(), "redis: "), password))
	}
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "redis", "rediss":
		opts, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, goRedisErr(err)
		}
		setPool(&opts.PoolSize, &opts.MaxActiveConns, &opts.PipelinePoolSize, &opts.DialTimeout, maxConns)
		opts.ContextTimeoutEnabled = true
		return &redisClient{client: redis.NewClient(opts), kind: redisSingle, addrs: []string{opts.Addr}}, nil

	case "redis-cluster", "rediss-cluster":
		cu, addrs, err := splitRedisURL(rawURL, "6379")
		if err != nil {
			return nil, err
		}
		// The parameters the command took out of u are out of cu too.
		cu.RawQuery = u.RawQuery
		if cu.Path != "" && cu.Path != "/" {
			return nil, fmt.Errorf("a Redis Cluster has no database number (path %q): redis-cluster://HOST:PORT,HOST:PORT,…", cu.Path)
		}
		cu.Path = ""
		opts, err := redis.ParseClusterURL(goRedisURL(cu, strings.TrimSuffix(scheme, "-cluster"), addrs[1:], nil))
		if err != nil {
			return nil, goRedisErr(err)
		}
		setPool(&opts.PoolSize, &opts.MaxActiveConns, &opts.PipelinePoolSize, &opts.DialTimeout, maxConns)
		opts.ContextTimeoutEnabled = true
		opts.ClusterStateReloadInterval = redisClusterReloadInterval
		// Reads go to the masters (ReadOnly off): a replica may not have
		// the revocation the master just took.
		opts.ReadOnly, opts.RouteByLatency, opts.RouteRandomly = false, false, false
		return &redisClient{client: redis.NewClusterClient(opts), kind: redisCluster, addrs: addrs}, nil

	case "redis-sentinel", "rediss-sentinel":
		su, addrs, err := splitRedisURL(rawURL, "26379")
		if err != nil {
			return nil, err
		}
		su.RawQuery = u.RawQuery
		parts := strings.Split(strings.Trim(su.Path, "/"), "/")
		if parts[0] == "" || len(parts) > 2 {
			return nil, errors.New("needs the master name: redis-sentinel://HOST:PORT,…/MASTER_NAME/DB")
		}
		master, db := parts[0], "0"
		if len(parts) == 2 {
			db = parts[1]
		}
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a database number: redis-sentinel://HOST:PORT,…/MASTER_NAME/DB", db)
		}
		sentinelPassword, err := takeParam(su, sentinelPasswordParam)
		if err != nil {
			return nil, err
		}
		// go-redis reads the URL's user and password as the Sentinels';
		// here they are the data nodes' (as for redis://).
		extra := url.Values{"master_name": {master}, "db": {db}}
		if user := su.User.Username(); user != "" {
			extra.Set("username", user)
		}
		if password != "" {
			extra.Set("password", password)
		}
		su.User, su.Path = nil, ""
		opts, err := redis.ParseFailoverURL(goRedisURL(su, strings.TrimSuffix(scheme, "-sentinel"), addrs[1:], extra))
		if err != nil {
			return nil, goRedisErr(err)
		}
		opts.SentinelPassword = sentinelPassword
		setPool(&opts.PoolSize, &opts.MaxActiveConns, &opts.PipelinePoolSize, &opts.DialTimeout, maxConns)
		opts.ContextTimeoutEnabled = true
		// Every command goes to the master: a replica may not have the
		// revocation the master just took.
		opts.ReplicaOnly, opts.RouteByLatency, opts.RouteRandomly = false, false, false
		return &redisClient{client: redis.NewFailoverClient(opts), kind: redisSentinel, addrs: addrs, master: master}, nil
	}
	return nil, fmt.Errorf("unknown Redis scheme %q (use %s)", u.Scheme, redisURLForms)
}

// setPool applies the command's pool defaults: maxConns (from
// ?max_conns=, else pool_size=, else redisDefaultMaxConns) connections,
// never more (MaxActiveConns, unless the URL set max_active_conns), and
// redisDialTimeout unless dial_timeout= is given. Pipelines (every check
// is one) share that pool: go-redis's separate pipeline pool would add up
// to 10 connections beyond the bound, unless pipeline_pool_size= asks for
// it.
func setPool(poolSize, maxActive, pipelinePool *int, dialTimeout *time.Duration, maxConns int) {
	switch {
	case maxConns > 0:
		*poolSize, *maxActive = maxConns, maxConns
	case *poolSize == 0:
		*poolSize = redisDefaultMaxConns
	}
	if *maxActive == 0 {
		*maxActive = *poolSize
	}
	if *pipelinePool == 0 {
		*pipelinePool = -1 // go-redis: pipelines on the main pool
	}
	if *dialTimeout == 0 {
		*dialTimeout = redisDialTimeout
	}
}

// kindError is a server that is not the kind its URL's scheme says.
type kindError struct{ msg string }

func (e kindError) Error() string { return e.msg }

// wrongKind formats a [kindError].
func wrongKind(format string, args ...any) error { return kindError{fmt.Sprintf(format, args...)} }

// infoField returns the value of field in the text of an INFO reply.
func infoField(info, field string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// checkRedisKind checks that the server behind rc is what the URL's scheme
// says, so that a Cluster node or a Sentinel behind redis://, or a
// standalone server behind redis-cluster://, is a start-up error saying
// which URL to use rather than 503s on every request.
func checkRedisKind(ctx context.Context, rc *redisClient) error {
	switch rc.kind {
	case redisSingle:
		info, err := rc.client.Info(ctx, "server", "replication").Result()
		if unknownCommand(err) {
			return nil // INFO disabled (some managed services): nothing to check
		}
		if err != nil {
			return err
		}
		switch mode := infoField(info, "redis_mode"); mode {
		case "cluster":
			return wrongKind("%s is a Redis Cluster node: use redis-cluster://%s[,HOST:PORT,…]", rc.addrs[0], rc.addrs[0])
		case "sentinel":
			return wrongKind("%s is a Redis Sentinel: use redis-sentinel://%s[,HOST:PORT,…]/MASTER_NAME/DB", rc.addrs[0], rc.addrs[0])
		}
		if infoField(info, "role") == "slave" {
			return wrongKind("%s is a read-only replica of %s:%s: point at the master, or use redis-sentinel:// to follow failovers",
				rc.addrs[0], infoField(info, "master_host"), infoField(info, "master_port"))
		}
	case redisCluster:
		info, err := rc.client.ClusterInfo(ctx).Result()
		if err != nil {
			return err
		}
		if st := infoField(info, "cluster_state"); st != "ok" {
			return wrongKind("the Redis Cluster at %s is in state %q, not ok", strings.Join(rc.addrs, ","), st)
		}
	case redisSentinel:
		// checkSentinels has run before the first command.
		info, err := rc.client.Info(ctx, "replication").Result()
		if unknownCommand(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if role := infoField(info, "role"); role != "master" {
			return wrongKind("Sentinel names a %s for master %q, not a master", role, rc.master)
		}
	}
	return nil
}

// unknownCommand reports whether err is Redis refusing a command it does
// not have (renamed or disabled).
func unknownCommand(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "unknown command")
}

// checkSentinels asks the Sentinels for the master's address: at least one
// must know it. A server that is not a Sentinel, or a master name no
// Sentinel monitors, is an error naming it.
func checkSentinels(ctx context.Context, rc *redisClient) error {
	opts := rc.client.(*redis.Client).Options()
	var errs []error
	for _, addr := range rc.addrs {
		sc := redis.NewSentinelClient(&redis.Options{
			Addr: addr, TLSConfig: opts.TLSConfig, DialTimeout: redisDialTimeout,
			ContextTimeoutEnabled: true, MaxRetries: -1,
		})
		_, err := sc.GetMasterAddrByName(ctx, rc.master).Result()
		sc.Close()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, redis.Nil):
			return wrongKind("Sentinel %s monitors no master named %q", addr, rc.master)
		case unknownCommand(err):
			return wrongKind("%s is not a Redis Sentinel (%s): use redis://%s/DB", addr, oneLine(err.Error()), addr)
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return fmt.Errorf("no Sentinel answers: %w", errors.Join(errs...))
}

// redisKindError rewrites the error a client of the wrong kind gets on its
// first command, or "" when err is not one.
func redisKindError(rc *redisClient, err error) string {
	msg := err.Error()
	switch {
	case rc.kind == redisCluster && strings.Contains(msg, "cluster support disabled"):
		return fmt.Sprintf("%s is not a Redis Cluster node (cluster support disabled): use redis://%s/DB", rc.addrs[0], rc.addrs[0])
	case rc.kind == redisSingle && strings.HasPrefix(msg, "MOVED "):
		return fmt.Sprintf("%s is a Redis Cluster node: use redis-cluster://%s[,HOST:PORT,…]", rc.addrs[0], rc.addrs[0])
	}
	return ""
}

// persistence is what a Redis server's CONFIG says about its persistence.
type persistence struct {
	node       string
	appendonly string // "yes" or "no"
	save       string // RDB snapshot rules, "" for none
}

// durabilityWarning returns the warning the server logs at start-up when
// revocations would not survive a Redis restart on some node, or "".
// nodes lists each master's settings; configErr is set when CONFIG could
// not be read (disabled or renamed, as managed services often do).
func durabilityWarning(display string, nodes []persistence, configErr error) string {
	if configErr != nil {
		return fmt.Sprintf("cannot read the persistence settings of Redis at %s (CONFIG GET: %s): make sure it runs with appendonly yes, or revoked tokens are accepted again after a Redis restart",
			display, oneLine(configErr.Error()))
	}
	var none, snapshots []string
	saves := map[string]bool{}
	for _, n := range nodes {
		switch {
		case n.appendonly == "yes":
		case strings.TrimSpace(n.save) == "":
			none = append(none, n.node)
		default:
			snapshots = append(snapshots, n.node)
			saves[n.save] = true
		}
	}
	switch {
	case len(none) > 0:
		return fmt.Sprintf(`Redis at %s has persistence off (appendonly no, save ""): every revocation is lost when Redis restarts and revoked tokens are accepted again; set appendonly yes`,
			strings.Join(none, ","))
	case len(snapshots) > 0:
		rules := slices.Sorted(func(yield func(string) bool) {
			for s := range saves {
				if !yield(s) {
					return
				}
			}
		})
		return fmt.Sprintf(`Redis at %s has appendonly no (RDB snapshots only, save %q): revocations made since the last snapshot are lost when Redis restarts; set appendonly yes`,
			strings.Join(snapshots, ","), strings.Join(rules, " | "))
	}
	return ""
}

// readPersistence reads appendonly and save from one node.
func readPersistence(ctx context.Context, c redis.Cmdable, node string) (persistence, error) {
	p := persistence{node: node}
	for _, name := range []string{"appendonly", "save"} {
		m, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			return p, err
		}
		v, ok := m[name]
		if !ok {
			return p, fmt.Errorf("no %s setting in the reply", name)
		}
		if name == "appendonly" {
			p.appendonly = v
		} else {
			p.save = v
		}
	}
	return p, nil
}

// redisPersistence reads the persistence settings of the data nodes
// behind rc: the node, the Sentinel's current master, or every master of a
// Cluster.
func redisPersistence(ctx context.Context, rc *redisClient) ([]persistence, error) {
	cc, ok := rc.client.(*redis.ClusterClient)
	if !ok {
		node := rc.addrs[0]
		if rc.kind == redisSentinel {
			node = "master " + rc.master
		}
		p, err := readPersistence(ctx, rc.client, node)
		return []persistence{p}, err
	}
	var (
		mu    sync.Mutex
		nodes []persistence
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		p, err := readPersistence(ctx, c, c.Options().Addr)
		mu.Lock()
		nodes = append(nodes, p)
		mu.Unlock()
		return err
	})
	slices.SortFunc(nodes, func(a, b persistence) int { return strings.Compare(a.node, b.node) })
	return nodes, err
}

// openRedis opens a Redis revocation store (see [openStore]) and checks
// that it answers, that it is the kind of server its scheme says, and
// whether its revocations survive a restart (a warning if not).
func openRedis(ctx context.Context, rawURL string, logger *slog.Logger) (*openedStore, error) {
	display, secrets := redisDisplay(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil {
		// A host list (HOST,HOST:PORT) need not parse as one URL.
		scheme, _, _ := strings.Cut(strings.ToLower(rawURL), "://")
		if scheme == "redis" || scheme == "rediss" {
			return nil, fmt.Errorf("%s: not a URL", display)
		}
		if u, _, err = splitRedisURL(rawURL, "6379"); err != nil {
			return nil, fmt.Errorf("%s: %v", display, err)
		}
	}
	if password, ok := u.User.Password(); ok {
		secrets = append(secrets, password)
	}
	// hide removes every password of the URL from a message (drivers and
	// go-redis may echo them).
	hide := func(msg string) string {
		for _, p := range secrets {
			msg = scrub(msg, p)
		}
		return msg
	}
	prefix, err := takeParam(u, redisPrefixParam)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", display, hide(err.Error()))
	}
	rc, err := newRedisClient(u, rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", display, hide(err.Error()))
	}
	redis.SetLogger(redisLogger{logger})
	fail := func(err error) (*openedStore, error) {
		rc.client.Close()
		if msg := redisKindError(rc, err); msg != "" {
			err = kindError{msg}
		}
		if errors.As(err, new(kindError)) {
			return nil, fmt.Errorf("%s: %s", display, hide(err.Error()))
		}
		return nil, unreachable(display, "", errors.New(hide(err.Error())))
	}
	if rc.kind == redisSentinel {
		// Before the first command, which asks the Sentinels too but
		// reports only that none answered.
		if err := checkSentinels(ctx, rc); err != nil {
			return fail(err)
		}
	}
	if err := rc.client.Ping(ctx).Err(); err != nil {
		return fail(err)
	}
	if err := checkRedisKind(ctx, rc); err != nil {
		return fail(err)
	}
	nodes, cerr := redisPersistence(ctx, rc)
	if w := durabilityWarning(display, nodes, cerr); w != "" {
		logger.Warn("authjwt serve: " + hide(w))
	}
	s := redisstore.New(rc.client, redisstore.Options{Prefix: prefix})
	if prefix != "" {
		display += " (key prefix " + fmt.Sprintf("%q", s.Prefix()) + ")"
	}
	return &openedStore{Store: s, Display: display, close: rc.client.Close}, nil
}

// redisDisplay returns a Redis URL for printing: without the password of
// its user information or of any ?…password= option (which it returns, to
// be scrubbed from errors), and without ?prefix= (printed apart).
func redisDisplay(raw string) (string, []string) {
	d := redactUserinfo(raw)
	base, query, ok := strings.Cut(d, "?")
	if !ok {
		return d, nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return base + "?(unparsable options)", nil
	}
	var secrets []string
	for k, vs := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			for _, v := range vs {
				if v != "" {
					secrets = append(secrets, v)
				}
			}
			q[k] = []string{"xxxxx"}
		}
	}
	q.Del(redisPrefixParam)
	if len(q) == 0 {
		return base, secrets
	}
	return base + "?" + strings.ReplaceAll(q.Encode(), "%2C", ","), secrets
}

// redactUserinfo hides the password of a store URL, for printing; unlike
// redactURL it takes a host list that url.Parse refuses.
func redactUserinfo(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(authority[:at], ":")
	if !hasPass {
		return raw
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
