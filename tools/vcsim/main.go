// Command vcsim runs govmomi's vCenter simulator (Debian's govmomi 0.24.2) for the tests of this
// repository: a VPX inventory, the vAPI REST endpoints (/rest) and TLS, on a listen address given
// by a flag. When the server is up it prints one JSON line to stdout, prefixed with "VCSIM_READY ",
// so that a launcher can read the URL, the certificate file and a few VM ids without parsing logs.
package main

import (
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
	"syscall"

	"github.com/vmware/govmomi/simulator"

	// Registers the vAPI (/rest) handlers; they are only installed when
	// Service.RegisterEndpoints is true.
	_ "github.com/vmware/govmomi/vapi/simulator"
)

type ready struct {
	URL      string   `json:"url"`
	Host     string   `json:"host"`
	Port     string   `json:"port"`
	Username string   `json:"username"`
	Password string   `json:"password"`
	CertFile string   `json:"certFile,omitempty"`
	VMs      []string `json:"vms"`
	PID      int      `json:"pid"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (host:port, port 0 picks a free port)")
	idle := flag.Duration("idle-timeout", 0, "session idle timeout (e.g. 2s, 30m); 0 keeps sessions forever")
	certFile := flag.String("cert-file", "", "write the server's PEM certificate (it is its own CA) to this file")
	flag.Parse()

	simulator.SessionIdleTimeout = *idle

	model := simulator.VPX()
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim: create model: %v", err)
	}

	model.Service.Listen = &url.URL{Host: *listen}
	model.Service.TLS = new(tls.Config)
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

	for _, vm := range simulator.Map.All("VirtualMachine") {
		out.VMs = append(out.VMs, vm.Reference().Value)
	}
	sort.Strings(out.VMs)

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
