package local

// Log retention options. They are portable so that programs configuring
// the backend build on every system (the backend itself needs Linux).

// DefaultLogMemory is how much of a command's output is kept in memory;
// beyond it the whole log moves to a private file.
const DefaultLogMemory = 256 << 10

// WithLogMemory sets how many bytes of a command's output stay in memory
// (DefaultLogMemory by default); a longer log is kept in a private file
// instead, so memory stays bounded whatever the output size.
func WithLogMemory(n int64) Option { return func(o *options) { o.logs.memory = n } }

// WithLogLimit caps the bytes kept per command (0, the default, keeps
// everything). Past the cap the oldest output is dropped in segments of a
// quarter of the cap: Logs reports Truncated and the first offset still
// kept, and a replay from an earlier offset fails with ErrNotFound.
func WithLogLimit(n int64) Option { return func(o *options) { o.logs.limit = n } }

// WithLogDir sets where log files are made ($TMPDIR or /tmp by default; not
// the in-memory /dev/shm of WithTempDir). Each file is unlinked as soon as
// it is open, so nothing is left behind, and is readable by this user only.
func WithLogDir(dir string) Option { return func(o *options) { o.logs.dir = dir } }

// logConfig is the retention policy of command logs.
type logConfig struct {
	memory int64  // in-memory window; 0 = DefaultLogMemory, <0 = none
	limit  int64  // bytes kept per command; 0 = all
	dir    string // where log files go; "" = os.TempDir()
}

func (c logConfig) window() int64 {
	m := c.memory
	switch {
	case m == 0:
		m = DefaultLogMemory
	case m < 0:
		m = 0
	}
	if c.limit > 0 && c.limit < m {
		m = c.limit
	}
	return m
}

func (c logConfig) segSize() int64 {
	if c.limit <= 0 {
		return 1 << 62
	}
	s := c.limit / 4
	if s < 1 {
		s = 1
	}
	return s
}
