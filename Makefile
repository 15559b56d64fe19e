.PHONY: setup setup-demo demo test

# Idempotent machine + project set-up (Debian 12, root).
setup:
	bash scripts/setup.sh

# Only what the demo uses: no routers, browser or Kubernetes API build (the first run is minutes shorter).
setup-demo:
	bash scripts/setup.sh --demo

# The lab demo: namespaces, NATS, speakers, a VIP and a failover.
demo: setup-demo
	node dist/cli/main.js lab

# Typecheck and all test projects.
test: setup
	bash scripts/test.sh
