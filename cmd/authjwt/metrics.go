package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/telemetry/authotel"
)

// metricsServer serves the server's OpenTelemetry metrics (package
// authotel: verifications by code, store calls, JWKS fetches, refresh
// token reuse) in the Prometheus text format at /metrics, on a listener
// of its own so that the metrics never share the API's address.
type metricsServer struct {
	ln  net.Listener
	srv *http.Server
	mp  *sdkmetric.MeterProvider
}

// startMetrics instruments cfg and listens on addr (checked already); the
// caller serves with run and stops with shutdown.
func startMetrics(addr string, cfg *authjwt.Config, logger *slog.Logger) (*metricsServer, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("--metrics: %v", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	o, err := authotel.New(authotel.Options{MeterProvider: mp})
	if err != nil {
		_ = mp.Shutdown(context.Background())
		return nil, fmt.Errorf("--metrics: %v", err)
	}
	o.Instrument(cfg)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = mp.Shutdown(context.Background())
		return nil, fmt.Errorf("--metrics: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}))
	return &metricsServer{ln: ln, mp: mp, srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}}, nil
}

// URL is where the metrics are served.
func (m *metricsServer) URL() string { return "http://" + m.ln.Addr().String() + "/metrics" }

// run serves until shutdown; its error is http.ErrServerClosed then.
func (m *metricsServer) run() error { return m.srv.Serve(m.ln) }

// shutdown stops serving and the meter provider.
func (m *metricsServer) shutdown(ctx context.Context) error {
	err := m.srv.Shutdown(ctx)
	if e := m.mp.Shutdown(ctx); err == nil {
		err = e
	}
	return err
}
