// Package wire holds what the procsh server and the remote client share about
// the Daytona toolbox /process protocol: the JSON request and response
// structs, the stdout/stderr marker encoding of session logs and its
// demultiplexer, the SDK-version gates, and the procsh protocol extensions.
//
// The protocol itself is described in docs/protocol.md;
// names here follow its JSON field names.
package wire
