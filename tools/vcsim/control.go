package main

// The control endpoint (plain HTTP, meant for loopback): lets a test run driver actions and
// point the source at sinks while vcsim runs.
//
//	POST   /actions  {"action":"clone","vm":"DC0_H0_VM0","name":"web-07","user":"..."}
//	GET    /sinks
//	POST   /sinks    {"url":"http://127.0.0.1:4000/"}
//	DELETE /sinks    {"url":"http://127.0.0.1:4000/"}
//	GET    /inventory  VM and host names -> morefs, read through the vSphere API

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

const maxControlBody = 64 << 10

type control struct {
	driver *driver
	source *source
}

func (c *control) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/actions", c.actions)
	mux.HandleFunc("/sinks", c.sinks)
	mux.HandleFunc("/inventory", c.inventory)
	return mux
}

func serveControl(addr string, c *control) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("control listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: c.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func readJSON(r *http.Request, v interface{}) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxControlBody {
		return fmt.Errorf("body over %d bytes", maxControlBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("body is not the expected JSON object: %w", err)
	}
	return nil
}

func (c *control) actions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, errors.New("POST an action"))
		return
	}
	var req actionRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	timeout := 30 * time.Second
	if req.TimeoutMs > 0 {
		timeout = time.Duration(req.TimeoutMs) * time.Millisecond
	}
	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()

	res, err := c.driver.run(ctx, &req)
	status := http.StatusOK
	if err != nil {
		var ae *actionError
		if !errors.As(err, &ae) {
			ae = &actionError{status: http.StatusBadGateway, err: err}
		}
		status = ae.status
		if res == nil {
			writeError(w, status, ae)
			return
		}
	}
	var keys []int32
	var max int32
	for _, e := range res.Events {
		keys = append(keys, e.Key)
		if e.Key > max {
			max = e.Key
		}
	}
	res.Delivered = true
	if req.Wait == nil || *req.Wait {
		res.Delivered = c.source.waitDelivered(max, deadline)
	}
	res.Deliveries = c.source.results(keys)
	writeJSON(w, status, res)
}

func (c *control) sinks(w http.ResponseWriter, r *http.Request) {
	list := func() []sinkInfo {
		out := []sinkInfo{}
		for _, k := range c.source.sinkList() {
			out = append(out, k.info())
		}
		return out
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]interface{}{"source": c.source.cfg.address, "sinks": list()})
	case http.MethodPost, http.MethodDelete:
		var req struct {
			URL string `json:"url"`
		}
		if err := readJSON(r, &req); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		if r.Method == http.MethodDelete {
			if !c.source.removeSink(req.URL) {
				writeError(w, http.StatusNotFound, fmt.Errorf("no sink %q", req.URL))
				return
			}
			writeJSON(w, http.StatusOK, map[string]interface{}{"sinks": list()})
			return
		}
		k, err := c.source.addSink(req.URL)
		switch {
		case errors.Is(err, errDuplicateSink):
			writeError(w, http.StatusConflict, err)
		case errors.Is(err, errInvalidSink):
			writeError(w, http.StatusBadRequest, err)
		case err != nil:
			writeError(w, http.StatusBadGateway, err)
		default:
			writeJSON(w, http.StatusCreated, map[string]interface{}{"sink": k.info(), "sinks": list()})
		}
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeError(w, http.StatusMethodNotAllowed, errors.New("GET, POST or DELETE /sinks"))
	}
}

func (c *control) inventory(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, errors.New("GET /inventory"))
		return
	}
	inv, err := c.driver.inventory(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}
