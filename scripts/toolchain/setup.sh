#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Installs and builds every tool the local runner, the end-to-end tests, the
# benchmarks and CI need: PostgreSQL (>= 15), Prometheus + promtool, git, wrk, shellcheck,
# Flipt, actionlint, vegeta, ghz, and kubernetes-validate + checkov (PyPI, in a virtualenv).
# With --engine, also the engine tier's tools (engine.sh): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok, the Prometheus Operator's CRDs, the
# Pulumi CLI and its Kubernetes provider (16 minutes cold on 2 cores, empty Go caches included).
# Idempotent; a warm run takes a few seconds.
#
# Usage: setup.sh [--engine] [--brief]
# Progress goes to stderr; stdout gets one line per tool: name, path, version. With --brief (what
# paths.ts's ensureToolchain passes, so deploy:local, local and the test tiers say one line), a
# run with nothing to build, install or warn about prints only
#   toolchain: every tool ready in 1s (19 tools, Flipt unavailable: <reason>)
# and the per-tool lines only when something was built or is missing.
# Exports nothing: source scripts/toolchain/paths.sh (or use paths.ts) for the paths.
#
# Environment:
#   FLIPT_DEPLOY_CACHE  where built tools are cached (default ~/.cache/flipt-deploy)
#   FLIPT_BIN           an existing Flipt v1.61.1 server binary to use instead of building one
#   FLIPT_RETRY_BUILD   1: try the Flipt build again although a refusal is recorded
#
# Flipt is built from its Go module through the Go module proxy. Where the proxy refuses
# the module, setup still succeeds for the other tools and records why, for that Flipt
# version, in $FLIPT_UNAVAILABLE_FILE; the tests that need Flipt are then skipped with that
# reason. A recorded refusal is not retried by later runs (it would only fail the same way,
# warnings and all): delete that file, or set FLIPT_RETRY_BUILD=1, to try again. Any other
# failure of the build (a network error, say) is retried on the next run.
set -euo pipefail

toolchain_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=paths.sh
source "$toolchain_dir/paths.sh"

FLIPT_MODULE=go.flipt.io/flipt
ACTIONLINT_PACKAGE=github.com/rhysd/actionlint/cmd/actionlint
VEGETA_PACKAGE=github.com/tsenart/vegeta/v12
GHZ_PACKAGE=github.com/bojand/ghz/cmd/ghz
# Flipt pins a version of this OPA log adapter that the module proxy does not
# serve; the older one has the same API (it only logs for the authz bundle engine).
OZAP_MODULE=github.com/open-policy-agent/contrib/logging/plugins/ozap
OZAP_VERSION=v0.0.0-20240305195513-547d54e7c251

started=$SECONDS
# Whatever setup says on stderr (a build, an install, a warning) makes it print the per-tool lines under --brief too.
said_something=0
log() { printf 'toolchain: %s\n' "$*" >&2; said_something=1; }
die() { log "error: $*"; exit 1; }

as_root() {
  if (( EUID == 0 )); then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "root is needed to run: $*"
  fi
}

# --- Debian packages ---------------------------------------------------------

added_policy_rc=""
remove_added_policy_rc() { [[ -z "$added_policy_rc" ]] || as_root rm -f "$added_policy_rc"; }
trap remove_added_policy_rc EXIT

missing_packages() {
  [[ -x "$GIT_BIN" ]] || echo git
  [[ -n "$PG_BINDIR" ]] || echo postgresql
  [[ -x "$PROMETHEUS_BIN" && -x "$PROMTOOL_BIN" ]] || echo prometheus
  [[ -x "$WRK_BIN" ]] || echo wrk
  # actionlint runs shellcheck on the workflows' run: scripts when it is on PATH.
  [[ -x "$SHELLCHECK_BIN" ]] || echo shellcheck
}

# Tests start their own servers on free loopback ports, so the packages' own
# services (PostgreSQL on 5432, Prometheus on 9090) must not start on install.
forbid_service_starts() {
  local policy=/usr/sbin/policy-rc.d
  [[ ! -e "$policy" ]] || return 0
  printf '#!/bin/sh\n# added by scripts/toolchain/setup.sh for the duration of an install\nexit 101\n' |
    as_root tee "$policy" >/dev/null
  as_root chmod 755 "$policy"
  added_policy_rc="$policy"
}

install_debian_packages() {
  local packages
  mapfile -t packages < <(missing_packages)
  (( ${#packages[@]} )) || return 0
  log "installing Debian packages: ${packages[*]}"
  forbid_service_starts
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}")
  if ! as_root "${install[@]}" >&2; then
    log "install failed; refreshing the package lists and retrying"
    as_root apt-get update >&2
    as_root "${install[@]}" >&2
  fi
  remove_added_policy_rc
  added_policy_rc=""
  # shellcheck source=paths.sh
  source "$toolchain_dir/paths.sh"
  mapfile -t packages < <(missing_packages)
  (( ${#packages[@]} == 0 )) || die "still missing after install: ${packages[*]}"
}

check_postgres_version() {
  local major
  major="$("$PG_BINDIR/postgres" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
  (( major >= 15 )) || die "PostgreSQL $major in $PG_BINDIR is too old; 15 or newer is needed"
}

# --- Go-built tools ----------------------------------------------------------

find_go() {
  GO_BIN="$(command -v go || true)"
  if [[ -z "$GO_BIN" && -x /usr/local/go/bin/go ]]; then GO_BIN=/usr/local/go/bin/go; fi
  [[ -n "$GO_BIN" ]] || die "Go (1.26 or newer) is needed to build Flipt and actionlint; none on PATH"
}

flipt_is_built() {
  [[ -x "$FLIPT_BIN" && "$(flipt_version 2>/dev/null)" == "$FLIPT_VERSION" ]]
}

# The first line of $FLIPT_UNAVAILABLE_FILE when the module proxy refused this Flipt version.
flipt_refusal_line() { # <HTTP status>
  echo "Flipt $FLIPT_VERSION could not be built: the Go module proxy would not serve $FLIPT_MODULE@$FLIPT_VERSION${1:+ ($1)}"
}

# A refusal of this very Flipt version is on record, and no retry was asked for.
flipt_refusal_recorded() {
  [[ "${FLIPT_RETRY_BUILD:-}" != 1 && -f "$FLIPT_UNAVAILABLE_FILE" ]] &&
    [[ "$(head -n 1 "$FLIPT_UNAVAILABLE_FILE")" == "$(flipt_refusal_line)"* ]]
}

flipt_needs_build() { ! flipt_is_built && ! flipt_refusal_recorded; }

# What the one ready line says of a Flipt that is not there: the recorded reason, and when.
flipt_unavailable_summary() {
  [[ -f "$FLIPT_UNAVAILABLE_FILE" ]] || { echo "no binary at $FLIPT_BIN"; return; }
  local reason recorded
  reason="$(head -n 1 "$FLIPT_UNAVAILABLE_FILE")"
  recorded="$(sed -n 's/^Recorded \([^ ]*\) .*/\1/p' "$FLIPT_UNAVAILABLE_FILE")"
  echo "${reason#"Flipt $FLIPT_VERSION could not be built: "}${recorded:+, recorded $recorded; FLIPT_RETRY_BUILD=1 tries again}"
}

# Module proxy URLs name its host; the record and the warnings say only that it was the proxy.
hide_proxy_urls() { sed -E 's#https?://[^ ]*#<module proxy URL>#g'; }

# A throwaway module that requires the release from the module proxy, with the in-repo
# modules at the release commit and the third-party replaces of Flipt's own go.mod.
# It runs in a subshell under `if`, where set -e is off: hence the `|| return`s.
build_flipt_from_module_proxy() { # <work dir> <ldflags>
  local wrapper="$1/module"
  mkdir -p "$wrapper" || return
  cat >"$wrapper/go.mod" <<EOF || return
module flipt-deploy/flipt-build

go 1.26.0

tool $FLIPT_MODULE/cmd/flipt

require (
	$FLIPT_MODULE $FLIPT_VERSION
	$FLIPT_MODULE/core $FLIPT_CORE_VERSION
	$FLIPT_MODULE/errors $FLIPT_ERRORS_VERSION
	$FLIPT_MODULE/rpc/flipt $FLIPT_RPC_VERSION
	$FLIPT_MODULE/sdk/go $FLIPT_SDK_GO_VERSION
)

replace (
	github.com/codahale/hdrhistogram => github.com/HdrHistogram/hdrhistogram-go v0.9.0
	github.com/dgrijalva/jwt-go v3.2.0+incompatible => github.com/golang-jwt/jwt/v4 v4.2.0
	$OZAP_MODULE => $OZAP_MODULE $OZAP_VERSION
)
EOF
  cd "$wrapper" || return
  "$GO_BIN" mod tidy || return
  "$GO_BIN" build -trimpath -ldflags "$2" -o "$FLIPT_BIN.tmp" "$FLIPT_MODULE/cmd/flipt"
}

build_flipt() {
  if flipt_is_built; then
    # A binary built here supersedes a recorded failure; one that FLIPT_BIN names does not.
    [[ "$FLIPT_BIN" != "$FLIPT_BUILT_BIN" ]] || rm -f "$FLIPT_UNAVAILABLE_FILE"
    return 0
  fi
  # Said in the one ready line (and by the tests that skip): not tried again, see the header.
  flipt_refusal_recorded && return 0
  local work="$TOOLCHAIN_CACHE_DIR/flipt/$FLIPT_VERSION/build"
  local ldflags="-s -w -X main.version=$FLIPT_VERSION -X main.commit=$FLIPT_COMMIT -X main.date=$FLIPT_COMMIT_DATE"
  rm -rf "$work" && mkdir -p "$work"
  log "building Flipt $FLIPT_VERSION from the Go module $FLIPT_MODULE; a cold build takes about 5 minutes on 2 cores (log: $work/build.log)"
  if ! (build_flipt_from_module_proxy "$work" "$ldflags") >"$work/build.log" 2>&1; then
    # Recorded, not fatal: the other tools still serve npm test, the manifest checks and promtool.
    # The first paragraph is the reason paths.ts's fliptUnavailableReason gives; the rest is detail.
    local status
    status="$(grep -m 1 -oE '\b(403 Forbidden|404 Not Found|410 Gone)\b' "$work/build.log" || true)"
    if [[ -n "$status" ]]; then
      {
        flipt_refusal_line "$status"
        echo
        echo "Recorded $(date -u +%Y-%m-%dT%H:%MZ) by scripts/toolchain/setup.sh, which does not try again while"
        echo "this file exists: delete it, or set FLIPT_RETRY_BUILD=1, to retry the build."
        grep -m 1 -F "$status" "$work/build.log"
      } | hide_proxy_urls >"$FLIPT_UNAVAILABLE_FILE"
    else
      tail -n 5 "$work/build.log" | hide_proxy_urls >&2
      {
        echo "Flipt $FLIPT_VERSION could not be built from the Go module $FLIPT_MODULE: $(grep -m 1 -E 'error|not available' "$work/build.log" || tail -n 1 "$work/build.log")"
        echo
        echo "Not a refusal by the module proxy: the next run of scripts/toolchain/setup.sh tries again."
      } | hide_proxy_urls >"$FLIPT_UNAVAILABLE_FILE"
    fi
    echo "build log: $work/build.log" >>"$FLIPT_UNAVAILABLE_FILE"
    log "warning: $(head -n 1 "$FLIPT_UNAVAILABLE_FILE")"
    log "warning: set FLIPT_BIN to an existing Flipt $FLIPT_VERSION binary to run the tests that need it${status:+; later runs do not retry the build (recorded in $FLIPT_UNAVAILABLE_FILE; FLIPT_RETRY_BUILD=1 retries)}"
    return 0
  fi
  mv -f "$FLIPT_BIN.tmp" "$FLIPT_BIN"
  rm -rf "$work/module"
  flipt_is_built || die "$FLIPT_BIN was built but does not report $FLIPT_VERSION"
  rm -f "$FLIPT_UNAVAILABLE_FILE"
  log "built $FLIPT_BIN"
}

# go install of <package>@<version> into the directory of <bin>, stripped; extra -ldflags optional.
go_install_to() {
  local bin="$1" module="$2" ldflags="${3:-}"
  GOBIN="$(dirname "$bin")" "$GO_BIN" install -trimpath -ldflags "-s -w${ldflags:+ $ldflags}" "$module" >&2
}

build_actionlint() {
  if [[ -x "$ACTIONLINT_BIN" ]] && "$ACTIONLINT_BIN" -version >/dev/null 2>&1; then return 0; fi
  log "building actionlint $ACTIONLINT_VERSION"
  go_install_to "$ACTIONLINT_BIN" "$ACTIONLINT_PACKAGE@$ACTIONLINT_VERSION"
}

vegeta_is_built() {
  [[ -x "$VEGETA_BIN" ]] && [[ "$("$VEGETA_BIN" -version 2>/dev/null | sed -n 's/^Version: //p')" == "$VEGETA_VERSION" ]]
}

build_vegeta() {
  vegeta_is_built && return 0
  log "building vegeta $VEGETA_VERSION"
  # main.Version is what `vegeta -version` prints, and what vegeta_is_built checks.
  go_install_to "$VEGETA_BIN" "$VEGETA_PACKAGE@$VEGETA_VERSION" "-X main.Version=$VEGETA_VERSION"
  vegeta_is_built || die "$VEGETA_BIN was built but does not report $VEGETA_VERSION"
}

ghz_is_built() {
  [[ -x "$GHZ_BIN" ]] && [[ "$("$GHZ_BIN" --version 2>&1 | sed -n 1p)" == "$GHZ_VERSION" ]]
}

build_ghz() {
  ghz_is_built && return 0
  log "building ghz $GHZ_VERSION"
  # main.version is what `ghz --version` prints, and what ghz_is_built checks.
  go_install_to "$GHZ_BIN" "$GHZ_PACKAGE@$GHZ_VERSION" "-X main.version=$GHZ_VERSION"
  ghz_is_built || die "$GHZ_BIN was built but does not report $GHZ_VERSION"
}

# --- Python tools (PyPI) -----------------------------------------------------

# The version of a distribution installed in the tools' virtualenv; fails when there is none.
python_tool_version() {
  "$PYTHON_TOOLS_DIR/bin/python" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$1" 2>/dev/null
}

python_tools_installed() {
  [[ "$(python_tool_version kubernetes-validate)" == "$KUBERNETES_VALIDATE_VERSION" &&
     "$(python_tool_version checkov)" == "$CHECKOV_VERSION" ]]
}

# A virtualenv cannot be moved once made, so it is made in place; an interrupted
# install fails the version check next time and is made again from scratch.
install_python_tools() {
  python_tools_installed && return 0
  local python
  python="$(command -v python3 || true)"
  if [[ -z "$python" ]] || ! "$python" -m venv --help >/dev/null 2>&1; then
    die "python3 (3.9 or newer) with its venv module is needed for kubernetes-validate and checkov"
  fi
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION and checkov $CHECKOV_VERSION from PyPI into $PYTHON_TOOLS_DIR (about a minute)"
  rm -rf "$PYTHON_TOOLS_DIR"
  "$python" -m venv "$PYTHON_TOOLS_DIR" >&2
  "$PYTHON_TOOLS_DIR/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "checkov==$CHECKOV_VERSION" >&2 ||
    die "pip could not install kubernetes-validate and checkov into $PYTHON_TOOLS_DIR"
  python_tools_installed || die "$PYTHON_TOOLS_DIR does not hold the pinned kubernetes-validate and checkov after install"
}

# --- Summary -----------------------------------------------------------------

first_line() { { "$@" 2>&1 || true; } | sed -n 1p; }
# `flipt --version` prints a banner first, then "Version: v1.61.1".
flipt_version() { "$FLIPT_BIN" --version | sed -n 's/^Version: //p'; }

# The summary's tools, in its order; engine.sh's ENGINE_TOOLS follow them with --engine.
TOOLS=(flipt actionlint vegeta ghz postgres prometheus promtool wrk git shellcheck kubernetes-validate checkov)

summary_line() { printf '%-10s %s  %s\n' "$@"; }

tool_line() { # <one of TOOLS>
  case "$1" in
    flipt) summary_line flipt "$FLIPT_BIN" "$( (flipt_is_built && flipt_version) || echo "unavailable: see $FLIPT_UNAVAILABLE_FILE")" ;;
    actionlint) summary_line actionlint "$ACTIONLINT_BIN" "$(first_line "$ACTIONLINT_BIN" -version)" ;;
    vegeta) summary_line vegeta "$VEGETA_BIN" "$(first_line "$VEGETA_BIN" -version)" ;;
    ghz) summary_line ghz "$GHZ_BIN" "$(first_line "$GHZ_BIN" --version)" ;;
    postgres) summary_line postgres "$PG_BINDIR/postgres" "$(first_line "$PG_BINDIR/postgres" --version)" ;;
    prometheus) summary_line prometheus "$PROMETHEUS_BIN" "$(first_line "$PROMETHEUS_BIN" --version)" ;;
    promtool) summary_line promtool "$PROMTOOL_BIN" "$(first_line "$PROMTOOL_BIN" --version)" ;;
    wrk) summary_line wrk "$WRK_BIN" "$(first_line "$WRK_BIN" -v)" ;;
    git) summary_line git "$GIT_BIN" "$(first_line "$GIT_BIN" --version)" ;;
    shellcheck) summary_line shellcheck "$SHELLCHECK_BIN" "$("$SHELLCHECK_BIN" --version 2>/dev/null | sed -n 's/^version: //p')" ;;
    kubernetes-validate) summary_line kubernetes-validate "$KUBERNETES_VALIDATE_BIN" "$(python_tool_version kubernetes-validate)" ;;
    checkov) summary_line checkov "$CHECKOV_BIN" "$(python_tool_version checkov)" ;;
    *) die "no summary line for the tool $1" ;;
  esac
}

print_summary() {
  local tool
  for tool in "${TOOLS[@]}"; do tool_line "$tool"; done
}

# --brief on a run that had nothing to say: one line for every tool (Flipt's absence with its reason).
print_ready_line() { # <1 with --engine, else 0>
  local count=${#TOOLS[@]} flipt=""
  (( $1 == 0 )) || count=$(( count + ${#ENGINE_TOOLS[@]} ))
  if ! flipt_is_built; then
    count=$(( count - 1 ))
    flipt=", Flipt unavailable: $(flipt_unavailable_summary)"
  elif [[ "$FLIPT_BIN" != "$FLIPT_BUILT_BIN" ]]; then
    flipt=", Flipt from FLIPT_BIN"
  fi
  echo "toolchain: every tool ready in $(( SECONDS - started ))s ($count tools$flipt)"
}

# shellcheck source=engine.sh
source "$toolchain_dir/engine.sh"

usage() {
  echo "usage: setup.sh [--engine] [--brief]   (--engine adds the engine tier's control plane, Pulumi CLI and provider; --brief says one line when every tool is ready)" >&2
  exit 2
}

main() {
  local engine=0 brief=0 arg
  for arg in "$@"; do
    case "$arg" in
      --engine) engine=1 ;;
      --brief) brief=1 ;;
      *) usage ;;
    esac
  done
  mkdir -p "$TOOLCHAIN_CACHE_DIR"
  # One setup at a time: parallel test runs share the cache and apt's lock.
  exec {lock}>"$TOOLCHAIN_CACHE_DIR/.setup.lock"
  flock "$lock"

  install_debian_packages
  check_postgres_version
  if flipt_needs_build || [[ ! -x "$ACTIONLINT_BIN" ]] || ! vegeta_is_built || ! ghz_is_built; then find_go; fi
  build_flipt
  build_actionlint
  build_vegeta
  build_ghz
  install_python_tools
  (( engine == 0 )) || build_engine_tools
  if (( brief && ! said_something )); then
    print_ready_line "$engine"
    return 0
  fi
  print_summary
  (( engine == 0 )) || print_engine_summary
  log "ready in $(( SECONDS - started ))s"
}

main "$@"
