package sock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestReadAll(t *testing.T) {
	tests := []struct {
		in      string
		limit   int64
		wantErr error
	}{
		{"", 4, nil},
		{"PONG", 4, nil},
		{"PONG!", 4, ErrTooLong},
	}
	for _, tt := range tests {
		got, err := ReadAll(strings.NewReader(tt.in), tt.limit)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ReadAll(%q, %d) error = %v, want %v", tt.in, tt.limit, err, tt.wantErr)
		}
		if int64(len(got)) > tt.limit {
			t.Errorf("ReadAll(%q, %d) returned %d bytes", tt.in, tt.limit, len(got))
		}
	}
}

func TestCause(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	future, cancel3 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel3()
	ioTimeout := fmt.Errorf("read tcp: %w", os.ErrDeadlineExceeded)
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want error // errors.Is target; nil: err itself, unchanged
	}{
		{"nil error", expired, nil, nil},
		{"expired context", expired, io.ErrUnexpectedEOF, context.DeadlineExceeded},
		{"canceled context", canceled, io.ErrUnexpectedEOF, context.Canceled},
		{"live context", future, io.ErrUnexpectedEOF, nil},
		{"connection deadline before the context's", future, ioTimeout, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Cause(tt.ctx, tt.err)
			switch {
			case tt.err == nil && got != nil:
				t.Errorf("Cause = %v, want nil", got)
			case tt.want == nil && got != tt.err:
				t.Errorf("Cause = %v, want %v unchanged", got, tt.err)
			case tt.want != nil && !errors.Is(got, tt.want):
				t.Errorf("Cause = %v, want one that is %v", got, tt.want)
			}
		})
	}
}

type brokenReader struct{}

func (brokenReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestSource(t *testing.T) {
	if _, err := io.ReadAll(Source(strings.NewReader("fine"))); err != nil {
		t.Errorf("reading a good message: %v", err)
	}
	_, err := io.ReadAll(Source(brokenReader{}))
	var re *ReadError
	if !errors.As(err, &re) || err.Error() != "read message: disk on fire" {
		t.Errorf("error = %v, want a *ReadError", err)
	}
}

func TestEndpointOpenNamesTheEngine(t *testing.T) {
	dir := t.TempDir()
	e := Endpoint{Network: "unix", Address: dir + "/none.sock", Label: "clamd unix:" + dir + "/none.sock", Timeout: time.Second}
	_, err := e.Open(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), e.Label+": ") {
		t.Errorf("error = %v, want one starting with %q", err, e.Label)
	}
}
