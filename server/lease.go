package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// DefaultLeaseGrace is how long a procsh client may stay silent before the
// sessions and PTYs it created are ended (see WithLeaseGrace).
const DefaultLeaseGrace = 30 * time.Second

// WithLeaseGrace sets the lease grace period: sessions and PTYs created by
// a procsh client naming a lease (wire.HeaderLease) end once no request has
// carried that lease for d. d <= 0 turns leases off (everything lives until
// deleted, as for Daytona clients, which send no lease).
func WithLeaseGrace(d time.Duration) Option { return func(s *Server) { s.leaseGrace = d } }

// lease is what one client holds.
type lease struct {
	seen     time.Time
	sessions map[string]struct{}
	ptys     map[string]struct{}
}

// leaseID returns the request's lease, "" when it names none or leases are
// off.
func (s *Server) leaseID(r *http.Request) string {
	if s.leaseGrace <= 0 {
		return ""
	}
	id := r.Header.Get(wire.HeaderLease)
	if len(id) > 128 {
		return ""
	}
	return id
}

// touchLease renews the request's lease, if it names one.
func (s *Server) touchLease(r *http.Request) {
	id := s.leaseID(r)
	if id == "" {
		return
	}
	s.leaseMu.Lock()
	if l := s.leases[id]; l != nil {
		l.seen = time.Now()
	}
	s.leaseMu.Unlock()
}

// leaseOwn records that the request's lease created (or adopted) a session
// (pty false) or PTY; without a lease the object is detached and only
// loses any previous owner.
func (s *Server) leaseOwn(r *http.Request, pty bool, obj string) {
	id := s.leaseID(r)
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	s.leaseDropLocked(pty, obj)
	if id == "" {
		return
	}
	if s.leases == nil {
		s.leases = map[string]*lease{}
	}
	l := s.leases[id]
	if l == nil {
		l = &lease{sessions: map[string]struct{}{}, ptys: map[string]struct{}{}}
		s.leases[id] = l
	}
	l.seen = time.Now()
	if pty {
		l.ptys[obj] = struct{}{}
	} else {
		l.sessions[obj] = struct{}{}
	}
	if !s.reaping {
		s.reaping = true
		go s.reap()
	}
}

// leaseDrop forgets a deleted session or PTY.
func (s *Server) leaseDrop(pty bool, obj string) {
	s.leaseMu.Lock()
	s.leaseDropLocked(pty, obj)
	s.leaseMu.Unlock()
}

func (s *Server) leaseDropLocked(pty bool, obj string) {
	for _, l := range s.leases {
		if pty {
			delete(l.ptys, obj)
		} else {
			delete(l.sessions, obj)
		}
	}
}

// reap ends what expired leases hold, until the server shuts down.
func (s *Server) reap() {
	t := time.NewTicker(max(s.leaseGrace/8, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		var sessions, ptys []string
		s.leaseMu.Lock()
		for id, l := range s.leases {
			if time.Since(l.seen) < s.leaseGrace {
				continue
			}
			for o := range l.sessions {
				sessions = append(sessions, o)
			}
			for o := range l.ptys {
				ptys = append(ptys, o)
			}
			delete(s.leases, id)
		}
		s.leaseMu.Unlock()
		for _, id := range ptys {
			err := s.backend.KillPTY(s.ctx, id)
			if err != nil && !errors.Is(err, client.ErrNotFound) {
				s.log.Warn("lease expired: ending PTY", "pty", id, "err", err)
			}
		}
		for _, id := range sessions {
			err := s.backend.DeleteSession(s.ctx, id)
			if err != nil && !errors.Is(err, client.ErrNotFound) {
				s.log.Warn("lease expired: deleting session", "session", id, "err", err)
			}
		}
		if len(ptys)+len(sessions) > 0 {
			s.log.Info("lease expired", "sessions", sessions, "ptys", ptys)
		}
	}
}

// leaseRequest is the optional body of POST LeasePath: detached sessions
// and PTYs the caller's lease adopts (reclaims).
type leaseRequest struct {
	Sessions []string `json:"sessions,omitempty"`
	PTYs     []string `json:"ptys,omitempty"`
}

// leaseInfo is one entry of GET LeasePath.
type leaseInfo struct {
	ID          string   `json:"id"`
	ExpiresInMs int64    `json:"expiresInMs"`
	Sessions    []string `json:"sessions"`
	PTYs        []string `json:"ptys"`
}

// leaseList is the body of GET LeasePath: every lease, and the sessions and
// PTYs no lease holds (detached, or created by Daytona clients), which live
// until deleted or adopted.
type leaseList struct {
	GraceMs  int64       `json:"graceMs"`
	Leases   []leaseInfo `json:"leases"`
	Detached struct {
		Sessions []string `json:"sessions"`
		PTYs     []string `json:"ptys"`
	} `json:"detached"`
}

// handleLeaseRenew renews the caller's lease (ServeHTTP already did) and
// adopts what the body names; it answers 204 with the grace period in
// wire.HeaderLeaseGrace, or 400 without a lease.
func (s *Server) handleLeaseRenew(w http.ResponseWriter, r *http.Request) {
	if s.leaseID(r) == "" {
		writeE3(w, r, http.StatusBadRequest, "no lease: send "+wire.HeaderLease+" (or leases are off)", client.ErrInvalidArgument)
		return
	}
	var req leaseRequest
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			badBody(w, r, "INVALID_REQUEST_BODY", "invalid body request: ", err)
			return
		}
	}
	ctx := r.Context()
	for _, id := range req.Sessions {
		if _, err := s.backend.GetSession(ctx, id); err != nil {
			writeBackendE1(w, r, err, "session "+strconv.Quote(id))
			return
		}
		s.leaseOwn(r, false, id)
	}
	for _, id := range req.PTYs {
		if _, err := s.backend.GetPTY(ctx, id); err != nil {
			writeBackendE1(w, r, err, "PTY "+strconv.Quote(id))
			return
		}
		s.leaseOwn(r, true, id)
	}
	// A lease that holds nothing yet is still renewed by later requests.
	s.leaseMu.Lock()
	if l := s.leases[s.leaseID(r)]; l != nil {
		l.seen = time.Now()
	}
	s.leaseMu.Unlock()
	w.Header().Set(wire.HeaderLeaseGrace, strconv.FormatInt(s.leaseGrace.Milliseconds(), 10))
	w.WriteHeader(http.StatusNoContent)
}

// handleLeaseList lists leases and detached sessions and PTYs.
func (s *Server) handleLeaseList(w http.ResponseWriter, r *http.Request) {
	ctx := context.WithoutCancel(r.Context())
	sessions, err := s.backend.ListSessions(ctx)
	if err != nil {
		writeBackendE1(w, r, err, err.Error())
		return
	}
	ptys, err := s.backend.ListPTYs(ctx)
	if err != nil {
		writeBackendE1(w, r, err, err.Error())
		return
	}
	out := leaseList{GraceMs: s.leaseGrace.Milliseconds(), Leases: []leaseInfo{}}
	held := map[string]bool{}
	s.leaseMu.Lock()
	for id, l := range s.leases {
		li := leaseInfo{ID: id, ExpiresInMs: max(0, (s.leaseGrace - time.Since(l.seen)).Milliseconds()), Sessions: []string{}, PTYs: []string{}}
		for o := range l.sessions {
			li.Sessions = append(li.Sessions, o)
			held["s/"+o] = true
		}
		for o := range l.ptys {
			li.PTYs = append(li.PTYs, o)
			held["p/"+o] = true
		}
		slices.Sort(li.Sessions)
		slices.Sort(li.PTYs)
		out.Leases = append(out.Leases, li)
	}
	s.leaseMu.Unlock()
	slices.SortFunc(out.Leases, func(a, b leaseInfo) int { return compareStrings(a.ID, b.ID) })
	out.Detached.Sessions, out.Detached.PTYs = []string{}, []string{}
	for _, si := range sessions {
		if !held["s/"+si.ID] {
			out.Detached.Sessions = append(out.Detached.Sessions, si.ID)
		}
	}
	for _, pi := range ptys {
		if !held["p/"+pi.ID] {
			out.Detached.PTYs = append(out.Detached.PTYs, pi.ID)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
