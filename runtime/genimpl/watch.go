package genimpl

import (
	"os"
	"strings"

	"github.com/dashtam/secretsgen/runtime"
)

// WatchOptions returns the options the generated Watch passes to
// runtime.NewLive: a copy of opts (nil meaning all defaults) whose
// PollInterval, when it is zero, is SECRETS_POLL_INTERVAL read with getenv
// (os.Getenv when nil; a positive Go duration, like SECRETS_CACHE_TTL). When that is
// unset too, PollInterval stays zero: the cache's TTL. A PollInterval set
// by the caller, negative included (the cache's TTL, whatever the
// environment says), is kept and the variable is not read. The error names
// the variable, never its value. opts itself is not modified.
func WatchOptions(getenv func(string) string, opts *runtime.LiveOptions) (*runtime.LiveOptions, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var o runtime.LiveOptions
	if opts != nil {
		o = *opts
	}
	if o.PollInterval == 0 {
		d, err := durationEnv(getenv, "SECRETS_POLL_INTERVAL")
		if err != nil {
			return nil, err
		}
		o.PollInterval = d
	}
	return &o, nil
}

// Layered reports whether c lists several backends, layers (such as
// SECRETS_BACKEND=env,aws). The generated NewProvider then opens the env
// backend with env.Options.EmptyIsUnset, so that an empty variable does not
// shadow a later layer's value.
func (c Config) Layered() bool {
	if len(c.Layers) > 0 {
		return len(c.Layers) > 1
	}
	return strings.Contains(c.Backend, ",")
}
