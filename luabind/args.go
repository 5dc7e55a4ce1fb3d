package luabind

import "github.com/procsh/procsh/internal/luaargs"

// Error kinds returned as the third value of a failed call (nil, message,
// kind). The set is small and stable so that scripts can branch on it; all
// but KindCanceled, KindFailed and KindError are the short names of
// client's kind table (client.KindName).
const (
	KindNotFound     = luaargs.KindNotFound     // unknown session, command, PTY or file
	KindConflict     = luaargs.KindConflict     // the id already exists
	KindInvalid      = luaargs.KindInvalid      // the backend rejected the request as written
	KindTimeout      = luaargs.KindTimeout      // a wait or deadline expired (nothing was killed by a wait)
	KindClosed       = luaargs.KindClosed       // the target has ended or was closed
	KindUnsupported  = luaargs.KindUnsupported  // the backend does not offer the operation
	KindUnauthorized = luaargs.KindUnauthorized // a missing or wrong token
	KindUnavailable  = luaargs.KindUnavailable  // the backend could not be reached or failed
	KindCanceled     = luaargs.KindCanceled     // the run or the evaluation was cancelled
	KindFailed       = luaargs.KindFailed       // the error check=true raises for a command that exited non-zero or was killed
	KindError        = luaargs.KindError        // anything else
)
