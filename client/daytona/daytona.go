// Package daytona is a small client for Daytona's REST API: enough to find,
// list, create and delete sandboxes and to reach a sandbox's toolbox as a
// client.Client (a remote.Client on {toolboxProxyUrl}/{sandboxId} with the
// API key as bearer token).
//
// Routes and JSON shapes follow Daytona's public API client
// (@daytonaio/api-client): GET /sandbox (items and nextCursor), GET, POST
// and DELETE /sandbox/{id}, GET /sandbox/{id}/toolbox-proxy-url. The
// package's tests run against an in-test HTTP server built from those
// shapes; no Daytona service is reachable from them.
package daytona

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
)

// DefaultAPIURL is used when neither the option nor DAYTONA_API_URL is set.
const DefaultAPIURL = "https://app.daytona.io/api"

// Client talks to the Daytona API.
type Client struct {
	base *url.URL
	key  string
	org  string
	hc   *http.Client
	poll time.Duration
}

// Options configure a Client; zero values take the defaults.
type Options struct {
	// APIKey is the bearer token (default $DAYTONA_API_KEY).
	APIKey string
	// APIURL is the API's base URL (default $DAYTONA_API_URL, then
	// DefaultAPIURL).
	APIURL string
	// OrganizationID, when set, is sent as X-Daytona-Organization-ID.
	OrganizationID string
	// HTTPClient replaces the HTTP client.
	HTTPClient *http.Client
	// PollInterval is how often Create polls a starting sandbox (default 1s).
	PollInterval time.Duration
}

// New returns a client. A missing API key is ErrInvalidArgument.
func New(o Options) (*Client, error) {
	op := "daytona"
	if o.APIKey == "" {
		o.APIKey = os.Getenv("DAYTONA_API_KEY")
	}
	if o.APIURL == "" {
		o.APIURL = os.Getenv("DAYTONA_API_URL")
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if o.APIKey == "" {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "no API key: pass api_key or set DAYTONA_API_KEY")
	}
	u, err := url.Parse(o.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "API URL %q must be http(s)://host[/path]", o.APIURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	c := &Client{base: u, key: o.APIKey, org: o.OrganizationID, hc: o.HTTPClient, poll: o.PollInterval}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.poll <= 0 {
		c.poll = time.Second
	}
	return c, nil
}

// Sandbox is the part of Daytona's Sandbox (and SandboxListItem) that
// procsh uses; Raw holds the whole JSON object.
type Sandbox struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	OrganizationID  string            `json:"organizationId"`
	State           string            `json:"state"`
	ErrorReason     string            `json:"errorReason"`
	User            string            `json:"user"`
	Target          string            `json:"target"`
	Snapshot        string            `json:"snapshot"`
	CPU             float64           `json:"cpu"`
	GPU             float64           `json:"gpu"`
	Memory          float64           `json:"memory"`
	Disk            float64           `json:"disk"`
	Labels          map[string]string `json:"labels"`
	Env             map[string]string `json:"env"`
	CreatedAt       string            `json:"createdAt"`
	ToolboxProxyURL string            `json:"toolboxProxyUrl"`
	Raw             map[string]any    `json:"-"`
}

func (c *Client) do(ctx context.Context, op, method, path string, q url.Values, body, out any) error {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return &client.Error{Op: op, Kind: client.ErrInvalidArgument, Msg: "request body", Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return &client.Error{Op: op, Kind: client.ErrInvalidArgument, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.org != "" {
		req.Header.Set("X-Daytona-Organization-ID", c.org)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return &client.Error{Op: op, Kind: client.ErrTimeout, Err: ctx.Err()}
		}
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "cannot reach the Daytona API at " + c.base.String(), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "read response", Err: err}
	}
	if resp.StatusCode/100 != 2 {
		return apiError(op, resp.StatusCode, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "bad JSON from the Daytona API", Err: err}
	}
	return nil
}

// apiError maps an HTTP error (NestJS body: statusCode, message, error) to
// a typed error.
func apiError(op string, status int, body []byte) error {
	var e struct {
		Message any    `json:"message"`
		Error   string `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil {
		switch m := e.Message.(type) {
		case string:
			msg = m
		case []any:
			parts := make([]string, len(m))
			for i, p := range m {
				parts[i] = fmt.Sprint(p)
			}
			msg = strings.Join(parts, "; ")
		}
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	kind := client.ErrUnavailable
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		kind = client.ErrUnauthorized
	case status == http.StatusNotFound:
		kind = client.ErrNotFound
	case status == http.StatusConflict:
		kind = client.ErrConflict
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		kind = client.ErrInvalidArgument
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		kind = client.ErrTimeout
	}
	return &client.Error{Op: op, Kind: kind, Msg: fmt.Sprintf("HTTP %d: %s", status, msg)}
}

func decodeSandbox(raw map[string]any) (*Sandbox, error) {
	b, _ := json.Marshal(raw)
	var s Sandbox
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	s.Raw = raw
	return &s, nil
}

func checkID(op, id string) error {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return client.Errorf(op, client.ErrInvalidArgument, "bad sandbox id %q", id)
	}
	return nil
}

// Get returns the sandbox with the given id or name.
func (c *Client) Get(ctx context.Context, id string) (*Sandbox, error) {
	op := "daytona get"
	if err := checkID(op, id); err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := c.do(ctx, op, http.MethodGet, "/sandbox/"+url.PathEscape(id), nil, nil, &raw); err != nil {
		return nil, err
	}
	s, err := decodeSandbox(raw)
	if err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "bad sandbox JSON", Err: err}
	}
	return s, nil
}

// List returns every sandbox, following the API's cursor pages.
func (c *Client) List(ctx context.Context) ([]Sandbox, error) {
	op := "daytona list"
	var all []Sandbox
	cursor := ""
	for page := 0; page < 10000; page++ {
		q := url.Values{}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var resp struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"nextCursor"`
		}
		if err := c.do(ctx, op, http.MethodGet, "/sandbox", q, nil, &resp); err != nil {
			return nil, err
		}
		for _, raw := range resp.Items {
			s, err := decodeSandbox(raw)
			if err != nil {
				return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "bad sandbox JSON", Err: err}
			}
			all = append(all, *s)
		}
		if resp.NextCursor == nil || *resp.NextCursor == "" || *resp.NextCursor == cursor {
			return all, nil
		}
		cursor = *resp.NextCursor
	}
	return all, nil
}

// Create creates a sandbox from params (the API's CreateSandbox fields:
// name, snapshot, env, labels, cpu, memory, disk, autoStopInterval, …) and
// waits until it has started. A sandbox that ends in an error state is
// reported with its errorReason; if ctx ends first the sandbox is left as
// it is (its id is in the error).
func (c *Client) Create(ctx context.Context, params map[string]any) (*Sandbox, error) {
	op := "daytona create"
	if params == nil {
		params = map[string]any{}
	}
	var raw map[string]any
	if err := c.do(ctx, op, http.MethodPost, "/sandbox", nil, params, &raw); err != nil {
		return nil, err
	}
	s, err := decodeSandbox(raw)
	if err != nil || s.ID == "" {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "bad sandbox JSON", Err: err}
	}
	for {
		switch s.State {
		case "started":
			return s, nil
		case "error", "build_failed", "destroyed", "destroying":
			return nil, client.Errorf(op, client.ErrUnavailable, "sandbox %s is %s: %s", s.ID, s.State, s.ErrorReason)
		}
		t := time.NewTimer(c.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &client.Error{Op: op, Kind: client.ErrTimeout, Msg: fmt.Sprintf("sandbox %s still %s", s.ID, s.State), Err: ctx.Err()}
		case <-t.C:
		}
		if s, err = c.Get(ctx, s.ID); err != nil {
			return nil, err
		}
	}
}

// Delete deletes the sandbox.
func (c *Client) Delete(ctx context.Context, id string) error {
	op := "daytona delete"
	if err := checkID(op, id); err != nil {
		return err
	}
	return c.do(ctx, op, http.MethodDelete, "/sandbox/"+url.PathEscape(id), nil, nil, nil)
}

// ToolboxURL returns the base URL of the sandbox's toolbox:
// {toolboxProxyUrl}/{id}, asking the API for the proxy URL when the
// sandbox description lacks it.
func (c *Client) ToolboxURL(ctx context.Context, s *Sandbox) (string, error) {
	proxy := s.ToolboxProxyURL
	if proxy == "" {
		var r struct {
			URL string `json:"url"`
		}
		if err := c.do(ctx, "daytona toolbox url", http.MethodGet, "/sandbox/"+url.PathEscape(s.ID)+"/toolbox-proxy-url", nil, nil, &r); err != nil {
			return "", err
		}
		proxy = r.URL
	}
	if proxy == "" {
		return "", client.Errorf("daytona toolbox url", client.ErrUnavailable, "the API gave no toolbox proxy URL for sandbox %s", s.ID)
	}
	return strings.TrimRight(proxy, "/") + "/" + url.PathEscape(s.ID), nil
}

// Connect returns a client for the sandbox's toolbox, authenticated with
// the API key. A sandbox that is not started is ErrUnavailable.
func (c *Client) Connect(ctx context.Context, id string) (*remote.Client, error) {
	s, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.ConnectSandbox(ctx, s)
}

// ConnectSandbox is Connect for a sandbox already described.
func (c *Client) ConnectSandbox(ctx context.Context, s *Sandbox) (*remote.Client, error) {
	if s.State != "" && s.State != "started" {
		return nil, client.Errorf("daytona connect", client.ErrUnavailable, "sandbox %s is %s, not started", s.ID, s.State)
	}
	u, err := c.ToolboxURL(ctx, s)
	if err != nil {
		return nil, err
	}
	return remote.New(u, remote.WithToken(c.key))
}
