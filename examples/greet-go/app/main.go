// The "greet" handler on the Go runtime: package main exports Handler; the runtime generates
// main() and encodes what Handler returns (a map or struct is JSON).
package main

import (
	"encoding/json"
	"fmt"
	"time"

	"dodil.io/ignite"
)

type event struct {
	Name string `json:"name"`
}

func Handler(payload []byte, ctx ignite.Context) (any, error) {
	var e event
	_ = json.Unmarshal(payload, &e) // not JSON: greet the world
	if e.Name == "" {
		e.Name = "world"
	}
	return map[string]string{
		"greeting":     fmt.Sprintf("Hello, %s!", e.Name),
		"runtime":      "go",
		"execution_id": ctx.ExecutionID,
		"function_id":  ctx.FunctionID,
		"received_at":  time.Now().UTC().Format(time.RFC3339Nano),
	}, nil
}
