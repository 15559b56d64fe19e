// The etcd server binary: the same entry point as etcd's own main.go, built from the published server module
// (etcd's root module has replace lines to ./api etc., so it cannot be `go install`ed at a version).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
