.PHONY: setup demo test

# Idempotent machine + project set-up (Debian 12, root).
setup:
	bash scripts/setup.sh

# The lab demo: namespaces, NATS, speakers, a VIP and a failover.
demo: setup
	node dist/cli/main.js lab

# Typecheck and all test projects.
test: setup
	bash scripts/test.sh
