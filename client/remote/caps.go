package remote

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/procsh/procsh/internal/wire"
)

// has reports whether the server offers an extension feature, probing the
// capabilities once. A failed probe (server down) is not cached.
func (r *Client) has(ctx context.Context, feature string) (bool, error) {
	r.capMu.Lock()
	defer r.capMu.Unlock()
	if r.caps == nil {
		wctx, unwatch := r.watched(ctx)
		defer unwatch()
		req, err := http.NewRequestWithContext(wctx, http.MethodGet, r.endpoint(wire.CapabilitiesPath, nil), nil)
		if err != nil {
			return false, err
		}
		req.Header = r.headers()
		resp, err := r.hc.Do(req)
		if err != nil {
			return false, liveErr("probe capabilities", ctx, wctx, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		caps := map[string]bool{}
		switch {
		case resp.StatusCode == http.StatusOK:
			var c wire.Capabilities
			if json.Unmarshal(body, &c) == nil {
				for _, f := range c.Features {
					caps[f] = true
				}
			}
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500:
			return false, statusErr("probe capabilities", resp, body)
		}
		r.caps = caps
	}
	return r.caps[feature], nil
}

// extQuery returns the query that turns extensions on when the server has
// feature.
func (r *Client) extQuery(ctx context.Context, feature string) (url.Values, bool, error) {
	ok, err := r.has(ctx, feature)
	if err != nil || !ok {
		return url.Values{}, false, err
	}
	return url.Values{wire.ExtParam: {"1"}}, true, nil
}
