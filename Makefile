# The two commands in the README do everything on a fresh Debian 12 machine as root:
#   make demo   installs what is missing, builds, trains the Fashion-MNIST CNN (examples/)
#   make test   installs what is missing, builds, runs every test
.PHONY: deps configure build test demo bench debug test-debug format golden clean

deps:
	bash scripts/install-deps.sh

configure: deps
	cmake --preset release > /dev/null

build: configure
	cmake --build --preset release

test: build
	ctest --preset release

# The main job: a convolutional network on Fashion-MNIST from its JSON spec (about 10 minutes on
# 2 cores), leaving the checkpoints, metrics and the HTML report in runs/fashion_cnn/.
demo: build
	./build/cajal train examples/fashion_cnn.json --out runs/fashion_cnn \
	  --metrics-json runs/fashion_cnn/metrics.json

bench: build
	python3 bench/compare.py
	bash bench/run.sh

debug: deps
	cmake --preset debug > /dev/null
	cmake --build --preset debug

test-debug: debug
	ctest --preset debug

# Regenerates tests/golden/*.json from PyTorch (needs: scripts/install-deps.sh --tools).
golden:
	bash scripts/install-deps.sh --tools
	for script in tools/golden/[a-z]*.py; do \
	  [ "$$script" = tools/golden/golden.py ] || /usr/bin/python3 "$$script" || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf build build-debug
