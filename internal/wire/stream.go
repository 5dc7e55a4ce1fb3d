package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// StreamType is the media type of a streamed exec result: a procsh client
// that wants live output asks for it with Accept on execute or code-run.
// The body is a sequence of records, each a 5-byte header (type, then the
// payload length as a big-endian uint32) and the payload. Types 1 and 2 are
// stdout and stderr output as it arrives; type 0 ends the stream and holds a
// RawResultType encoding of the final result (an ExecuteResponse line, plus
// the output parts when procshLengths is set) or, on failure, an ErrorBody.
const StreamType = "application/vnd.procsh.stream"

// Record types of a StreamType body.
const (
	RecordEnd   byte = 0
	RecordError byte = 3
)

// maxRecord bounds one record's payload.
const maxRecord = 1 << 30

// AppendRecord appends one record to dst.
func AppendRecord(dst []byte, typ byte, payload []byte) []byte {
	var h [5]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	return append(append(dst, h[:]...), payload...)
}

// ReadRecord reads the next record; buf is reused when large enough.
func ReadRecord(r io.Reader, buf []byte) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if err == io.EOF {
			return 0, nil, io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > maxRecord {
		return 0, nil, errors.New("stream record too large")
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, fmt.Errorf("stream record: %w", err)
	}
	return h[0], buf, nil
}
