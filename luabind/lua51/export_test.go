package lua51

// RewriteSource exposes the rewrite with its source to the benchmark.
var RewriteSource = rewrite
