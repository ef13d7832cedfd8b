package authjwt

// WithoutOrigin returns c without the record of which AUTHJWT_* variable
// set each field, for tests comparing a Config read by ConfigFromEnv with
// one written out.
func WithoutOrigin(c Config) Config {
	c.origin = nil
	return c
}
