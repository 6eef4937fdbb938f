package health_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/health"
)

// Settings and Load stand in for a generated package.
type Settings struct{ DatabasePassword runtime.Secret[string] }

func Load(ctx context.Context, p runtime.Provider) (*Settings, error) {
	v, err := p.Get(ctx, runtime.Ref{Path: "database/password", Type: "string"})
	if err != nil {
		return nil, err
	}
	return &Settings{DatabasePassword: runtime.NewSecret(v.Text)}, nil
}

// The handler mounted on the path a Kubernetes readiness probe reads
// (readinessProbe.httpGet.path: /healthz/secrets). A failed refresh leaves
// the last good value in use: still 200, the secret reported stale.
func ExampleHandler() {
	backend := runtime.NewMemory("fake")
	backend.Set("database/password", "pw-1")
	started := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	live, err := runtime.NewLive(context.Background(), runtime.NewCache(backend, nil), Load,
		&runtime.LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true, Now: func() time.Time { return started }})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /healthz/secrets", health.Handler(live))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func() {
		resp, err := http.Get(srv.URL + "/healthz/secrets")
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode)
		fmt.Print(string(body))
	}
	get()

	backend.SetError("database/password", runtime.ErrUnavailable)
	_ = live.RefreshNow(context.Background()) // fails: the backend is down
	resp, err := http.Get(srv.URL + "/healthz/secrets")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("during the outage:", resp.StatusCode, health.Evaluate(live.Status(), time.Now()).Secrets[0].State)
	// Output:
	// 200
	// {
	//   "ready": true,
	//   "status": "ok",
	//   "backend": "fake",
	//   "poll_interval_seconds": 3600,
	//   "last_poll": "2026-12-04T12:00:00Z",
	//   "callback_panics": 0,
	//   "secrets": [
	//     {
	//       "path": "database/password",
	//       "backend": "fake",
	//       "version": "1",
	//       "state": "ok",
	//       "fetched": "2026-12-04T12:00:00Z"
	//     }
	//   ]
	// }
	// during the outage: 200 stale
}
