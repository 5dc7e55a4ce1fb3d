package lua51

// RewriteSource exposes the rewrite with its source to the benchmark.
var RewriteSource = rewrite

// NextKeyCheck reports whether next can tell invalid keys (gopher-lua's
// table layout was found).
var NextKeyCheck = tableFields.ok
