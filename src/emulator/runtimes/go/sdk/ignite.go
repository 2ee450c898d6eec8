// Package ignite is the handler SDK of the Ignite Go runtime, as the local Ignite ships it:
// the runtime owns the process (the worker frames of docs/pod-protocol.md), the app exports one
// function from package main:
//
//	func Handler(payload []byte, ctx ignite.Context) (any, error)
//
// and the build generates main(), which calls Run(Handler). The payload is the raw request body;
// ctx carries the execution, function and organization ids. The result is encoded by type, as
// the Python runtime does: []byte verbatim (application/octet-stream), string as UTF-8
// (text/plain), anything else through encoding/json (application/json). A non-nil error is a 500
// with {"error": err.Error(), "execution_id": ...}; so is a panic, which is logged and ends only
// its own request. Returning a Stream (or an iter.Seq of any, string or []byte) streams.
//
// Stdout is free for logs: at start the framing moves to another descriptor and fd 1 is
// pointed at stderr, so fmt.Println lands in the app log.
package ignite

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
)

// Context is what a handler knows about its invocation. It embeds a context.Context (the
// background context: the local Ignite stops a request by stopping its pod).
type Context struct {
	context.Context
	// ExecutionID is "exec_<ULID>", the id the caller sees (X-Ignite-Execution-Id).
	ExecutionID string
	// FunctionID is the app id, "<org>/<name>".
	FunctionID string
	// OrganizationID is the organization's id.
	OrganizationID string
}

// Handler is the signature of an app's entry point.
type Handler func(payload []byte, ctx Context) (any, error)

// Stream is a streamed response: each yielded item is sent as it comes (bytes verbatim,
// strings as UTF-8, anything else as one JSON line); the first item decides the content type.
// Return a non-nil error from the function to end the response with a failure.
type Stream func(yield func(item any) bool) error

const (
	headerLen  = 13
	maxPayload = 64 << 20
)

var magic = [4]byte{'I', 'G', 'N', '1'}

type link struct {
	mu  sync.Mutex
	out *os.File
}

func (l *link) send(kind byte, id uint32, payload []byte) error {
	frame := make([]byte, headerLen+len(payload))
	copy(frame, magic[:])
	frame[4] = kind
	binary.LittleEndian.PutUint32(frame[5:], id)
	binary.LittleEndian.PutUint32(frame[9:], uint32(len(payload)))
	copy(frame[headerLen:], payload)
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.out.Write(frame)
	return err
}

func statusType(status int, contentType string, body []byte) []byte {
	p := make([]byte, 4, 4+len(contentType)+len(body))
	binary.LittleEndian.PutUint16(p, uint16(status))
	binary.LittleEndian.PutUint16(p[2:], uint16(len(contentType)))
	p = append(p, contentType...)
	return append(p, body...)
}

func (l *link) answer(id uint32, status int, contentType string, body []byte) {
	if l.send('A', id, statusType(status, contentType, body)) != nil {
		os.Exit(0) // the agent is gone
	}
}

func errorBody(message, executionID string) []byte {
	b, _ := json.Marshal(map[string]string{"error": message, "execution_id": executionID})
	return b
}

// Run serves requests with h until the pod agent closes stdin. The generated main() calls it.
func Run(h Handler) {
	out, err := framingOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "[ignite] cannot set up the framing: %v\n", err)
		os.Exit(70)
	}
	l := &link{out: out}
	functionID, organizationID := os.Getenv("IGNITE_FUNCTION_ID"), os.Getenv("IGNITE_ORGANIZATION_ID")
	os.Unsetenv("IGNITE_FUNCTION_ID")
	os.Unsetenv("IGNITE_ORGANIZATION_ID")
	if err := l.send('Y', 0, nil); err != nil {
		os.Exit(0)
	}
	in := os.Stdin
	header := make([]byte, headerLen)
	for {
		if _, err := io.ReadFull(in, header); err != nil {
			os.Exit(0) // EOF: the lifeline
		}
		size := binary.LittleEndian.Uint32(header[9:])
		if [4]byte(header[:4]) != magic || header[4] != 'Q' || size > maxPayload {
			fmt.Fprintln(os.Stderr, "[ignite] the pod agent sent an invalid frame; the worker stops")
			os.Exit(70)
		}
		id := binary.LittleEndian.Uint32(header[5:])
		p := make([]byte, size)
		if _, err := io.ReadFull(in, p); err != nil {
			os.Exit(0)
		}
		executionID, body, err := parseRequest(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "[ignite] %v; the worker stops\n", err)
			os.Exit(70)
		}
		ctx := Context{Context: context.Background(), ExecutionID: executionID, FunctionID: functionID, OrganizationID: organizationID}
		go serve(l, h, id, body, ctx)
	}
}

// framingOutput duplicates fd 1 (the frames' pipe) and points fd 1 at stderr.
func framingOutput() (*os.File, error) {
	fd, err := syscall.Dup(1)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd) // a handler's subprocesses must not write frames
	if err := syscall.Dup3(2, 1, 0); err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "ignite-framing"), nil
}

func parseRequest(p []byte) (executionID string, body []byte, err error) {
	bad := errors.New("malformed request frame")
	if len(p) < 1 {
		return "", nil, bad
	}
	at := 1 + int(p[0])      // the method
	for i := 0; i < 2; i++ { // the path, then the execution id
		if len(p) < at+2 {
			return "", nil, bad
		}
		n := int(binary.LittleEndian.Uint16(p[at:]))
		if len(p) < at+2+n {
			return "", nil, bad
		}
		if i == 1 {
			executionID = string(p[at+2 : at+2+n])
		}
		at += 2 + n
	}
	return executionID, p[at:], nil
}

func serve(l *link, h Handler, id uint32, payload []byte, ctx Context) {
	fail := func(message string) { l.answer(id, 500, "application/json", errorBody(message, ctx.ExecutionID)) }
	var result any
	var err error
	panicked := func() (p bool) {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(os.Stderr, "[ignite] execution %s: handler panicked: %v\n%s", ctx.ExecutionID, r, debug.Stack())
				fail(fmt.Sprintf("handler panicked: %v; see the app logs", r))
				p = true
			}
		}()
		result, err = h(payload, ctx)
		return false
	}()
	if panicked {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "[ignite] execution %s: handler returned an error: %v\n", ctx.ExecutionID, err)
		fail(err.Error())
		return
	}
	if s := asStream(result); s != nil {
		stream(l, id, ctx, s)
		return
	}
	contentType, body, err := encode(result)
	if err != nil {
		fmt.Fprintf(os.Stderr, "[ignite] execution %s: the handler's return value could not be encoded: %v\n", ctx.ExecutionID, err)
		fail(fmt.Sprintf("handler returned a %T, which encoding/json cannot encode: %v", result, err))
		return
	}
	l.answer(id, 200, contentType, body)
}

func encode(v any) (string, []byte, error) {
	switch x := v.(type) {
	case []byte:
		return "application/octet-stream", x, nil
	case string:
		return "text/plain; charset=utf-8", []byte(x), nil
	case json.RawMessage:
		return "application/json", x, nil
	}
	b, err := json.Marshal(v)
	return "application/json", b, err
}

func asStream(v any) Stream {
	switch s := v.(type) {
	case Stream:
		return s
	case func(yield func(any) bool) error:
		return s
	case iter.Seq[any]:
		return func(yield func(any) bool) error { s(yield); return nil }
	case iter.Seq[string]:
		return func(yield func(any) bool) error { s(func(x string) bool { return yield(x) }); return nil }
	case iter.Seq[[]byte]:
		return func(yield func(any) bool) error { s(func(x []byte) bool { return yield(x) }); return nil }
	}
	return nil
}

func stream(l *link, id uint32, ctx Context, s Stream) {
	started := false
	var failure error
	func() {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(os.Stderr, "[ignite] execution %s: the streaming handler panicked: %v\n%s", ctx.ExecutionID, r, debug.Stack())
				failure = fmt.Errorf("handler panicked: %v", r)
			}
		}()
		failure = s(func(item any) bool {
			contentType, data, err := encode(item)
			if err != nil {
				failure = err
				return false
			}
			if _, isBytes := item.([]byte); !isBytes {
				if _, isString := item.(string); !isString {
					contentType, data = "application/x-ndjson", append(data, '\n')
				}
			}
			if !started {
				if l.send('H', id, statusType(200, contentType, nil)) != nil {
					os.Exit(0)
				}
				started = true
			}
			if len(data) > 0 && l.send('C', id, data) != nil {
				os.Exit(0)
			}
			return true
		})
	}()
	if failure != nil {
		fmt.Fprintf(os.Stderr, "[ignite] execution %s: the stream failed: %v\n", ctx.ExecutionID, failure)
		if !started {
			l.answer(id, 500, "application/json", errorBody(failure.Error(), ctx.ExecutionID))
		} else {
			l.send('X', id, []byte("the streaming handler failed; see the app logs"))
		}
		return
	}
	if !started {
		l.send('H', id, statusType(200, "application/octet-stream", nil))
	}
	l.send('E', id, nil)
}
