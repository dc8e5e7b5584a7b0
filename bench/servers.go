package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// startCloudlet runs the cloudlet binary on dataDir on a free loopback port. The Admin API rate
// limit is lifted: the benchmark measures latency, not the quota.
func startCloudlet(bin, dataDir, work, label string) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := startProcess(label, filepath.Join(work, label+".log"), port, "/", nil, bin, "serve",
		"--addr", addr, "--data", dataDir, "--cloud", cloudURL(), "--admin-rate-limit", "1000000000")
	if err == nil {
		p.supervised = true
	}
	return p, err
}

// startFileServer runs Go's http.FileServer over dir in a process of its own (this program,
// re-run with the fileserver command), as a user's static server would be.
func startFileServer(dir, work string) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return startProcess("go-fileserver", filepath.Join(work, "fileserver.log"), port, "/", nil,
		self, "fileserver", dir, "127.0.0.1:"+strconv.Itoa(port))
}

// serveFiles is the fileserver command: http.FileServer over dir at addr until killed.
func serveFiles(dir, addr string) error {
	srv := &http.Server{Addr: addr, Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

// nginxConf serves root with sendfile from two workers, no access log: nginx as its users tune
// it for static files.
const nginxConf = `worker_processes 2;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path %[1]s/nginx-body;
    proxy_temp_path %[1]s/nginx-proxy;
    fastcgi_temp_path %[1]s/nginx-fastcgi;
    uwsgi_temp_path %[1]s/nginx-uwsgi;
    scgi_temp_path %[1]s/nginx-scgi;
    types { image/jpeg jpg; }
    server {
        listen 127.0.0.1:%[2]d;
        root %[3]s;
    }
}
`

// startNginx runs nginx over dir with nginxConf.
func startNginx(dir, work string) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(work, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, work, port, dir)), 0o644); err != nil {
		return nil, err
	}
	return startProcess("nginx", filepath.Join(work, "nginx.log"), port, "/", nil,
		"nginx", "-c", conf, "-p", work, "-e", filepath.Join(work, "nginx-error.log"))
}
