package server

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// WithAllowedOrigins lets browser pages from these origins (exact
// "scheme://host[:port]", e.g. "https://ide.example.com") call the server;
// they also get CORS answers. Without it only the server's own origin
// passes, which in practice means no browser page at all: requests without
// an Origin header (SDKs, curl, the procsh client) are unaffected.
func WithAllowedOrigins(origins ...string) Option {
	return func(s *Server) {
		for _, o := range origins {
			if n, ok := normOrigin(o); ok {
				s.origins = append(s.origins, n)
			}
		}
	}
}

// WithAllowedHosts accepts these host names in the Host header of requests
// arriving on a loopback address, besides localhost and loopback IPs — for a
// reverse proxy or tunnel that keeps its own name.
func WithAllowedHosts(hosts ...string) Option {
	return func(s *Server) {
		for _, h := range hosts {
			if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
				s.hosts = append(s.hosts, h)
			}
		}
	}
}

// ParseOrigin checks one --allow-origin value and returns it normalised.
func ParseOrigin(o string) (string, error) {
	n, ok := normOrigin(o)
	if !ok {
		return "", &originError{o}
	}
	return n, nil
}

type originError struct{ o string }

func (e *originError) Error() string {
	return "origin " + quote(e.o) + " is not scheme://host[:port] (http or https, no path)"
}

// normOrigin lower-cases an origin and drops a default port, so
// "HTTP://Example.com:80" and "http://example.com" compare equal.
func normOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// checkBrowser refuses what only a browser tricked by a foreign page would
// send: a Host that is not ours on a loopback connection (DNS rebinding), a
// foreign Origin, and a body a page may post without a CORS preflight. It
// runs before authentication, so a valid token in a browser's query string
// does not help a foreign page either. It reports whether r may go on.
func (s *Server) checkBrowser(w http.ResponseWriter, r *http.Request) bool {
	if !s.hostAllowed(r) {
		s.log.Warn("refused host", "host", r.Host, "path", r.URL.Path, "remote", r.RemoteAddr)
		writeE1(w, r, http.StatusForbidden, "FORBIDDEN",
			"forbidden: host "+quote(r.Host)+" is not this server's (DNS rebinding protection); use localhost or a loopback address", client.ErrUnauthorized)
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		allowed, cross := s.originAllowed(r, origin)
		if !allowed {
			s.log.Warn("refused origin", "origin", origin, "path", r.URL.Path, "remote", r.RemoteAddr)
			writeE1(w, r, http.StatusForbidden, "FORBIDDEN",
				"forbidden: origin "+quote(origin)+" is not allowed (start the server with --allow-origin to admit a browser front-end)", client.ErrUnauthorized)
			return false
		}
		if cross {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", wire.HeaderRequestID)
		}
	}
	if !contentTypeAllowed(r) {
		writeE1(w, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
			"unsupported media type: "+quote(r.Header.Get("Content-Type"))+": request bodies must be application/json", client.ErrInvalidArgument)
		return false
	}
	return true
}

// preflight answers a CORS preflight from an allowed origin (checkBrowser
// has already refused the others). It reports whether it answered.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
	if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", rh)
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// hostAllowed: on a connection to a loopback address the Host must name
// loopback (localhost, a loopback IP) or an allowed host; the port is not
// compared, so SSH tunnels and proxies on other ports keep working. On
// other addresses a token is mandatory and the Host is not checked.
func (s *Server) hostAllowed(r *http.Request) bool {
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	tcp, ok := la.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return true
	}
	if r.Host == "" { // HTTP/1.0 without Host: not a browser
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range s.hosts {
		if h == host {
			return true
		}
	}
	return false
}

// originAllowed reports whether a request's Origin may call the server and
// whether it is cross-origin (so needs CORS headers). Same origin means the
// Origin's host is the request's Host, which hostAllowed has vetted.
func (s *Server) originAllowed(r *http.Request, origin string) (allowed, cross bool) {
	n, ok := normOrigin(origin)
	if !ok { // "null" (sandboxed frames, file: pages) and garbage
		return false, false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if self, ok := normOrigin(scheme + "://" + r.Host); ok && self == n {
		return true, false
	}
	for _, o := range s.origins {
		if o == n {
			return true, true
		}
	}
	return false, false
}

// contentTypeAllowed: a request that carries a body must declare it JSON
// (application/json or …+json), or application/octet-stream where raw input
// is accepted. The content types a page may send without a preflight
// (text/plain, forms) are refused even with an empty body. GET and HEAD
// bodies are ignored by every handler, so they are not checked (Ruby's SDK
// sends Content-Type: text/plain on its log WebSocket).
func contentTypeAllowed(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return true
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return r.ContentLength == 0
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return true
	case mt == "application/octet-stream":
		return strings.HasSuffix(r.URL.Path, "/input")
	}
	return false
}

// quote renders user input in an error message without letting it forge
// lines or grow the message unboundedly.
func quote(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			const hx = "0123456789abcdef"
			b = append(b, '\\', 'x', hx[c>>4], hx[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
