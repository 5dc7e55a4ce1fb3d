package wire

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// RawResultType is the media type of a binary result: a procsh client asks
// for it with Accept, and execute, code-run and sync session exec then
// answer with one line of JSON (the usual response object, with
// "procshLengths") followed by the output, stdout and stderr bytes back to
// back. Large or binary output travels without JSON escaping or base64.
const RawResultType = "application/vnd.procsh.result"

// maxRawHeader bounds the JSON line of a raw result.
const maxRawHeader = 1 << 20

// WriteRawResult writes meta as one JSON line, then parts.
func WriteRawResult(w io.Writer, meta any, parts ...[]byte) error {
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// ReadRawResult decodes the JSON line into meta and returns the parts whose
// lengths lengths(meta) gives once meta is decoded.
func ReadRawResult(r io.Reader, meta any, lengths func() []int64) ([][]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			return nil, fmt.Errorf("raw result header: %w", err)
		}
		line = append(line, chunk...)
		if len(line) > maxRawHeader {
			return nil, errors.New("raw result header too long")
		}
		if !isPrefix {
			break
		}
	}
	if err := json.Unmarshal(line, meta); err != nil {
		return nil, fmt.Errorf("raw result header: %w", err)
	}
	var parts [][]byte
	for _, n := range lengths() {
		if n < 0 || n > 1<<40 {
			return nil, fmt.Errorf("raw result: bad length %d", n)
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return nil, fmt.Errorf("raw result body: %w", err)
		}
		parts = append(parts, p)
	}
	return parts, nil
}
