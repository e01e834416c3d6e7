// Command vcsim runs govmomi's vCenter simulator (Debian's govmomi 0.24.2) for the tests of this
// repository: a VPX inventory, the vAPI REST endpoints (/rest) and TLS, on a listen address given
// by a flag. When the server is up it prints one JSON line to stdout, prefixed with "VCSIM_READY ",
// so that a launcher can read the URL, the certificate file and a few VM ids without parsing logs.
//
// With -sink it also acts as VEBA's event source (source.go): every event vcsim records is POSTed
// to each sink as the CloudEvent VSphereSource would send (cloudevent.go). With -control it serves
// a small HTTP endpoint (control.go) through which tests run real vSphere operations (driver.go)
// and add or remove sinks.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"

	// Registers the vAPI (/rest) handlers; they are only installed when
	// Service.RegisterEndpoints is true.
	_ "github.com/vmware/govmomi/vapi/simulator"
)

type ready struct {
	URL       string    `json:"url"`
	Host      string    `json:"host"`
	Port      string    `json:"port"`
	Username  string    `json:"username"`
	Password  string    `json:"password"`
	CertFile  string    `json:"certFile,omitempty"`
	VMs       []string  `json:"vms"`
	Inventory inventory `json:"inventory"`
	Control   string    `json:"control,omitempty"`
	Source    string    `json:"source"`
	Sinks     []string  `json:"sinks"`
	PID       int       `json:"pid"`
}

// inventory maps names to morefs, so tests can name VMs and hosts as vcsim does (DC0_H0_VM0).
type inventory struct {
	VMs   map[string]string `json:"vms"`
	Hosts map[string]string `json:"hosts"`
}

// listFlag collects a repeatable flag; each value may also be a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (host:port, port 0 picks a free port)")
	idle := flag.Duration("idle-timeout", 0, "session idle timeout (e.g. 2s, 30m); 0 keeps sessions forever")
	certFile := flag.String("cert-file", "", "write the server's PEM certificate (it is its own CA) to this file")
	var sinks listFlag
	flag.Var(&sinks, "sink", "POST every new event to this URL as a VEBA CloudEvent (repeatable, or comma-separated)")
	sourceAddress := flag.String("source-address", "", "the vCenter address VSphereSource is configured with; the CloudEvent source is https://<it>/sdk (default: this vcsim)")
	sourceUser := flag.String("source-user", "vcsim-source", "the account the source logs in with")
	pageSize := flag.Int("source-page-size", 10, "page size of the source's event collector (1-1000)")
	sinkTimeout := flag.Duration("sink-timeout", 5*time.Second, "timeout of one POST to a sink")
	sinkRetries := flag.Int("sink-retries", 3, "retries after a failed POST (0 = none)")
	sinkBackoff := flag.Duration("sink-backoff", 100*time.Millisecond, "delay before the first retry; doubles after each")
	retryOn := flag.String("sink-retry-on", "any", "which failures are retried: any (network errors and every non-2xx) or knative (network errors, 5xx, 404, 408, 409, 429)")
	controlAddr := flag.String("control", "", "serve the control endpoint (actions, sinks) on this address, e.g. 127.0.0.1:0")
	driverUser := flag.String("driver-user", `VSPHERE.LOCAL\Administrator`, "the user actions run as when they name none")
	flag.Parse()

	if *pageSize < 1 || *pageSize > 1000 {
		log.Fatalf("vcsim: -source-page-size must be 1-1000 (vcsim's limit)")
	}
	if *retryOn != "any" && *retryOn != "knative" {
		log.Fatalf("vcsim: -sink-retry-on must be any or knative")
	}
	if *sinkRetries < 0 || *sinkTimeout <= 0 || *sinkBackoff < 0 {
		log.Fatalf("vcsim: -sink-retries, -sink-timeout and -sink-backoff must not be negative")
	}

	// A vCenter reports times in UTC; vcsim stamps events with time.Now() in the local zone.
	time.Local = time.UTC
	simulator.SessionIdleTimeout = *idle

	model := simulator.VPX()
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim: create model: %v", err)
	}

	model.Service.Listen = &url.URL{Host: *listen}
	certificate, err := serverCertificate()
	if err != nil {
		log.Fatalf("vcsim: make certificate: %v", err)
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{certificate}}
	model.Service.RegisterEndpoints = true

	server := model.Service.NewServer()

	out := ready{
		URL:      "https://" + server.URL.Host,
		Host:     server.URL.Hostname(),
		Port:     server.URL.Port(),
		Username: server.URL.User.Username(),
		PID:      os.Getpid(),
	}
	out.Password, _ = server.URL.User.Password()

	if *certFile != "" {
		block := &pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw}
		if err := ioutil.WriteFile(*certFile, pem.EncodeToMemory(block), 0o644); err != nil {
			log.Fatalf("vcsim: write certificate: %v", err)
		}
		out.CertFile = *certFile
	}

	out.Inventory = inventory{VMs: map[string]string{}, Hosts: map[string]string{}}
	for _, vm := range simulator.Map.All("VirtualMachine") {
		out.VMs = append(out.VMs, vm.Reference().Value)
		out.Inventory.VMs[vm.Entity().Name] = vm.Reference().Value
	}
	sort.Strings(out.VMs)
	for _, h := range simulator.Map.All("HostSystem") {
		out.Inventory.Hosts[h.Entity().Name] = h.Reference().Value
	}

	endpoint := *server.URL
	endpoint.User = nil
	address := *sourceAddress
	if address == "" {
		address = out.URL
	}
	ceSrc, err := ceSource(address)
	if err != nil {
		log.Fatalf("vcsim: %v", err)
	}
	out.Source = ceSrc
	sourceEndpoint := endpoint
	sourceEndpoint.User = url.UserPassword(*sourceUser, out.Password)
	keepalive := time.Duration(0)
	if *idle > 0 {
		keepalive = *idle / 3
	}
	lines := newLineLog()
	src := newSource(sourceConfig{
		endpoint:  &sourceEndpoint,
		address:   ceSrc,
		pageSize:  int32(*pageSize),
		keepalive: keepalive,
		policy:    deliveryPolicy{timeout: *sinkTimeout, retries: *sinkRetries, backoff: *sinkBackoff, retryOn: *retryOn},
	}, lines)

	// The driver logs in before the source starts, so its own login is history to the source.
	if *controlAddr != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		d, err := newDriver(ctx, &endpoint, out.Password, *driverUser, keepalive)
		cancel()
		if err != nil {
			log.Fatalf("vcsim: %v", err)
		}
		out.Control, err = serveControl(*controlAddr, &control{driver: d, source: src})
		if err != nil {
			log.Fatalf("vcsim: %v", err)
		}
	}
	out.Sinks = []string{}
	for _, raw := range sinks {
		k, err := src.addSink(raw)
		if err != nil {
			log.Fatalf("vcsim: -sink: %v", err)
		}
		out.Sinks = append(out.Sinks, k.name)
	}

	line, err := json.Marshal(out)
	if err != nil {
		log.Fatalf("vcsim: encode ready line: %v", err)
	}
	fmt.Printf("VCSIM_READY %s\n", line)
	log.Printf("vcsim: listening on %s (idle timeout %s)", out.URL, idle.String())

	// Stop when told to, or when the parent goes away (stdin closed), so a crashed test run does
	// not leave a simulator behind.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		_, _ = ioutil.ReadAll(os.Stdin)
		stop <- syscall.SIGTERM
	}()
	<-stop
	// No graceful server.Close(): it waits for open keep-alive connections, and clients of a
	// test simulator have nothing in flight worth finishing.
	model.Remove()
	os.Exit(0)
}
