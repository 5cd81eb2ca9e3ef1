//go:build integration

package integration

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// snakeoilCert and snakeoilKey are Debian's self-signed certificate
// (package ssl-cert), which install.sh gives the portal for a first look.
const (
	snakeoilCert = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
	snakeoilKey  = "/etc/ssl/private/ssl-cert-snakeoil.key"
)

// TestInstallPortal checks what scripts/install.sh does to the shipped
// config for the portal: scripts/enable-portal.sh turns [web] on over
// HTTPS with the snakeoil certificate (a second run changes nothing),
// `config check` accepts the result, and `mailtower web` with it answers
// the login page over TLS with that certificate.
func TestInstallPortal(t *testing.T) {
	if _, err := os.Stat(snakeoilKey); err != nil {
		t.Skipf("%s missing (apt-get install ssl-cert; see scripts/install-deps.sh)", snakeoilKey)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mailtower.toml")
	shipped, err := os.ReadFile("../contrib/mailtower.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, shipped, 0o640); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := run("bash", "../scripts/enable-portal.sh", cfg, "gw.example.net"); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(cfg)
	web := string(got[strings.Index(string(got), "\n[web]\n"):])
	for _, want := range []string{"\nlisten = \":8443\"\n", "\nbase_url = \"https://gw.example.net:8443\"\n",
		"\ntls_cert = \"" + snakeoilCert + "\"\n", "\ntls_key = \"" + snakeoilKey + "\"\n"} {
		if strings.Count(web, want) != 1 {
			t.Errorf("[web] after enable-portal.sh twice lacks %q (or has it twice):\n%s", want, web)
		}
	}

	// The same config, on a free loopback port and a private data_dir.
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("data_dir = %q\n", filepath.Join(dir, "data")) +
		strings.Replace(string(got), "\nlisten = \":8443\"\n", fmt.Sprintf("\nlisten = \"127.0.0.1:%d\"\n", port), 1)
	if err := os.WriteFile(cfg, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	if out, err := run(mailtowerBin, "--config", cfg, "config", "check"); err != nil {
		t.Fatalf("config check: %v\n%s", err, out)
	}
	p, err := startProc("mailtower web", filepath.Join(dir, "web.log"), mailtowerBin, "--config", cfg, "web")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := p.waitReady(30*time.Second, func() error { return dialable(addr) }); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // self-signed, as a browser's "accept the risk"
	resp, err := client.Get("https://" + addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="login"`) {
		t.Fatalf("GET /login: %s\n%s", resp.Status, body)
	}
	pemCert, _ := os.ReadFile(snakeoilCert)
	blk, _ := pem.Decode(pemCert)
	if blk == nil || len(resp.TLS.PeerCertificates) == 0 || string(resp.TLS.PeerCertificates[0].Raw) != string(blk.Bytes) {
		t.Fatalf("the portal did not present %s", snakeoilCert)
	}
}
