# shellcheck shell=bash
# The engine tier's tools (npm run test:engine): a Kubernetes control plane (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, kwok's simulated nodes), the
# Prometheus Operator's CRDs, the Pulumi CLI and the Kubernetes provider plugin.
# Sourced by setup.sh (`setup.sh --engine`), which defines log, die, summary_line, GO_BIN and the paths.
#
# Every Go tool is built from a wrapper module under modules/ whose go.mod and go.sum pin
# it and all its dependencies; versions.env names the same versions for the cache paths
# and the version stamps, and build_wrapper checks that the two agree.

# shellcheck disable=SC2154  # toolchain_dir is setup.sh's
engine_modules_dir="$toolchain_dir/modules"

# Fails unless the wrapper module's go.mod requires <module> at <version>.
require_wrapper_pin() { # <wrapper dir> <module> <version>
  grep -Eq "^[[:space:]]*(require[[:space:]]+)?$2 $3( // indirect)?\$" "$1/go.mod" ||
    die "$1/go.mod does not require $2 $3 (versions.env says it should); update one of them"
}

# Builds <packages> from a wrapper module into <out dir>, timing it into <out dir>/build-seconds.
# The wrapper's go.sum is complete, so the build may not change it (WRAPPER_MOD overrides).
build_wrapper() { # <name> <wrapper dir> <out dir> <ldflags> <package>...
  local name="$1" wrapper="$2" out="$3" ldflags="$4"
  shift 4
  local log_file="$out/build.log" begin=$SECONDS
  mkdir -p "$out"
  log "building $name (log: $log_file)"
  if ! (cd "$wrapper" && GOTOOLCHAIN=local \
      "$GO_BIN" build "-mod=${WRAPPER_MOD:-readonly}" -trimpath -ldflags "-s -w $ldflags" -o "$out/.partial/" "$@") >"$log_file" 2>&1; then
    tail -n 20 "$log_file" >&2
    die "building $name failed (log: $log_file)"
  fi
  mv -f "$out/.partial/"* "$out/" && rmdir "$out/.partial"
  echo $(( SECONDS - begin )) >"$out/build-seconds"
  log "built $name in $(( SECONDS - begin ))s"
}

# Downloads <module>@<version> through the module proxy and prints its directory in the module cache.
module_dir() { # <module>@<version>
  GOTOOLCHAIN=local "$GO_BIN" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

kubernetes_ldflags() {
  local major="${KUBERNETES_VERSION#v}" minor
  minor="${major#*.}" && minor="${minor%%.*}" && major="${major%%.*}"
  local package flags=""
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $package.gitVersion=$KUBERNETES_VERSION -X $package.gitMajor=$major -X $package.gitMinor=$minor -X $package.gitTreeState=clean"
  done
  echo "$flags"
}

build_kubernetes() {
  [[ -x "$KUBE_APISERVER_BIN" && -x "$KUBE_CONTROLLER_MANAGER_BIN" && -x "$KUBE_SCHEDULER_BIN" ]] && return 0
  require_wrapper_pin "$engine_modules_dir/kubernetes" k8s.io/kubernetes "$KUBERNETES_VERSION"
  build_wrapper "kube-apiserver, kube-controller-manager, kube-scheduler $KUBERNETES_VERSION (about 4 minutes cold)" \
    "$engine_modules_dir/kubernetes" "$(dirname "$KUBE_APISERVER_BIN")" "$(kubernetes_ldflags)" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
}

build_etcd() {
  [[ -x "$ETCD_BIN" ]] && return 0
  require_wrapper_pin "$engine_modules_dir/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  build_wrapper "etcd $ETCD_VERSION" "$engine_modules_dir/etcd" "$(dirname "$ETCD_BIN")" "" .
}

build_kwok() {
  [[ -x "$KWOK_BIN" ]] && return 0
  require_wrapper_pin "$engine_modules_dir/kwok" sigs.k8s.io/kwok "$KWOK_VERSION"
  build_wrapper "kwok $KWOK_VERSION" "$engine_modules_dir/kwok" "$(dirname "$KWOK_BIN")" \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" sigs.k8s.io/kwok/cmd/kwok
}

build_pulumi() {
  [[ -x "$PULUMI_BIN" ]] && return 0
  require_wrapper_pin "$engine_modules_dir/pulumi" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"
  build_wrapper "Pulumi CLI $PULUMI_VERSION (about 3 minutes cold)" "$engine_modules_dir/pulumi" "$(dirname "$PULUMI_BIN")" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

# The provider's module is built from its own directory: its go.mod replaces sdk/v4 with
# ../sdk (absent from the module zip; the go.mod already requires a published sdk/v4), and
# its schema is embedded from files that its generate.go writes.
build_kubernetes_provider() {
  [[ -x "$PULUMI_KUBERNETES_BIN" ]] && return 0
  local module=github.com/pulumi/pulumi-kubernetes/provider/v4
  local out source
  out="$(dirname "$PULUMI_KUBERNETES_BIN")"
  source="$out/source"
  mkdir -p "$out"
  log "downloading $module@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION (the source of release v$PULUMI_KUBERNETES_VERSION)"
  local dir
  dir="$(module_dir "$module@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION")"
  [[ -d "$dir" ]] || die "the Go module proxy did not provide $module@$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION"
  rm -rf "$source" && cp -r "$dir" "$source" && chmod -R u+w "$source"
  (cd "$source" && "$GO_BIN" mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4) ||
    die "could not drop the sdk/v4 replace from $source/go.mod"
  (cd "$source/cmd/pulumi-resource-kubernetes" && VERSION="$PULUMI_KUBERNETES_VERSION" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
      "$GO_BIN" run ./generate.go) >"$out/generate.log" 2>&1 || { cat "$out/generate.log" >&2; die "the provider's generate.go failed"; }
  WRAPPER_MOD=mod build_wrapper "pulumi-resource-kubernetes v$PULUMI_KUBERNETES_VERSION (about 6 minutes cold)" "$source" "$out" \
    "-X $module/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" ./cmd/pulumi-resource-kubernetes
  rm -rf "$source"
}

# The ServiceMonitor and PrometheusRule CRDs, as the Prometheus Operator's release ships them.
fetch_prometheus_operator_crds() {
  local crd names=(servicemonitors prometheusrules) missing=0
  for crd in "${names[@]}"; do [[ -s "$PROMETHEUS_OPERATOR_CRD_DIR/monitoring.coreos.com_$crd.yaml" ]] || missing=1; done
  (( missing )) || return 0
  local module=github.com/prometheus-operator/prometheus-operator dir
  log "downloading the CRDs of $module@$PROMETHEUS_OPERATOR_VERSION"
  dir="$(module_dir "$module@$PROMETHEUS_OPERATOR_VERSION")"
  [[ -d "$dir/example/prometheus-operator-crd" ]] || die "$module@$PROMETHEUS_OPERATOR_VERSION has no example/prometheus-operator-crd"
  mkdir -p "$PROMETHEUS_OPERATOR_CRD_DIR"
  for crd in "${names[@]}"; do
    cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_$crd.yaml" "$PROMETHEUS_OPERATOR_CRD_DIR/"
  done
  chmod -R u+w "$PROMETHEUS_OPERATOR_CRD_DIR"
}

# Cheapest first, so a failure shows early; one build at a time (two cores).
build_engine_tools() {
  find_go
  fetch_prometheus_operator_crds
  build_etcd
  build_kwok
  build_pulumi
  build_kubernetes
  build_kubernetes_provider
}

# One summary line each: name, path, version (and the cold build time when it was built here).
engine_tool_version() { # <binary> <version args...>
  local bin="$1"
  shift
  echo "$(first_line "$bin" "$@")$(build_time_note "$bin")"
}

# " (built in Ns)" when setup built <binary> and recorded how long it took.
build_time_note() { # <binary>
  local file
  file="$(dirname "$1")/build-seconds"
  [[ ! -s "$file" ]] || echo " (built in $(cat "$file")s)"
}

# A plugin has no --version: the release it was built as (generate.go embeds it in the schema).
built_as() { # <binary> <version>
  echo "built as $2$(build_time_note "$1")"
}

# The engine tools of the summary, in its order (setup.sh's print_ready_line counts them).
ENGINE_TOOLS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok pulumi pulumi-resource-kubernetes prometheus-operator-crds)

engine_tool_line() { # <one of ENGINE_TOOLS>
  case "$1" in
    etcd) summary_line etcd "$ETCD_BIN" "$(engine_tool_version "$ETCD_BIN" --version)" ;;
    kube-apiserver) summary_line kube-apiserver "$KUBE_APISERVER_BIN" "$(engine_tool_version "$KUBE_APISERVER_BIN" --version)" ;;
    kube-controller-manager) summary_line kube-controller-manager "$KUBE_CONTROLLER_MANAGER_BIN" "$(engine_tool_version "$KUBE_CONTROLLER_MANAGER_BIN" --version)" ;;
    kube-scheduler) summary_line kube-scheduler "$KUBE_SCHEDULER_BIN" "$(engine_tool_version "$KUBE_SCHEDULER_BIN" --version)" ;;
    kwok) summary_line kwok "$KWOK_BIN" "$(engine_tool_version "$KWOK_BIN" --version)" ;;
    pulumi) summary_line pulumi "$PULUMI_BIN" "$(engine_tool_version "$PULUMI_BIN" version)" ;;
    pulumi-resource-kubernetes) summary_line pulumi-resource-kubernetes "$PULUMI_KUBERNETES_BIN" "$(built_as "$PULUMI_KUBERNETES_BIN" "v$PULUMI_KUBERNETES_VERSION")" ;;
    prometheus-operator-crds) summary_line prometheus-operator-crds "$PROMETHEUS_OPERATOR_CRD_DIR" "$PROMETHEUS_OPERATOR_VERSION" ;;
    *) die "no summary line for the engine tool $1" ;;
  esac
}

print_engine_summary() {
  local tool
  for tool in "${ENGINE_TOOLS[@]}"; do engine_tool_line "$tool"; done
}
