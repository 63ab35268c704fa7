# shellcheck shell=bash source-path=SCRIPTDIR
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
# Where the toolchain lives. Source it; it defines variables and exports nothing:
#   TOOLCHAIN_CACHE_DIR  FLIPT_VERSION  ACTIONLINT_VERSION (and the rest of versions.env)
#   FLIPT_BIN  FLIPT_BUILT_BIN  FLIPT_UNAVAILABLE_FILE  ACTIONLINT_BIN  VEGETA_BIN  GHZ_BIN  PG_BINDIR  PROMETHEUS_BIN  PROMTOOL_BIN  WRK_BIN  GIT_BIN  SHELLCHECK_BIN
#   PYTHON_TOOLS_DIR  KUBERNETES_VALIDATE_BIN  CHECKOV_BIN
#   engine tier: ETCD_BIN  KUBE_APISERVER_BIN  KUBE_CONTROLLER_MANAGER_BIN  KUBE_SCHEDULER_BIN  KWOK_BIN
#   PULUMI_BIN  PULUMI_KUBERNETES_BIN  PROMETHEUS_OPERATOR_CRD_DIR
# A path is defined even when the tool is not installed yet; scripts/toolchain/setup.sh
# makes them all exist. PG_BINDIR is empty until a PostgreSQL server is installed.

# shellcheck source=versions.env
source "$(dirname "${BASH_SOURCE[0]}")/versions.env"

# Built tools are cached outside the repository, one directory per version.
TOOLCHAIN_CACHE_DIR="${FLIPT_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flipt-deploy}"
# Where setup.sh builds Flipt; FLIPT_BIN may be set to an existing Flipt binary of the pinned version instead.
FLIPT_BUILT_BIN="$TOOLCHAIN_CACHE_DIR/flipt/$FLIPT_VERSION/flipt"
FLIPT_BIN="${FLIPT_BIN:-$FLIPT_BUILT_BIN}"
# Written by setup.sh when Flipt cannot be built here: the reason, then a blank line and details.
# A refusal by the module proxy is not retried while it exists (setup.sh's header says how to retry).
FLIPT_UNAVAILABLE_FILE="$TOOLCHAIN_CACHE_DIR/flipt/$FLIPT_VERSION/unavailable.txt"
ACTIONLINT_BIN="$TOOLCHAIN_CACHE_DIR/actionlint/$ACTIONLINT_VERSION/actionlint"
VEGETA_BIN="$TOOLCHAIN_CACHE_DIR/vegeta/$VEGETA_VERSION/vegeta"
GHZ_BIN="$TOOLCHAIN_CACHE_DIR/ghz/$GHZ_VERSION/ghz"
# One virtualenv for the PyPI tools, one directory per pinned pair.
PYTHON_TOOLS_DIR="$TOOLCHAIN_CACHE_DIR/pytools/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION-checkov-$CHECKOV_VERSION"
KUBERNETES_VALIDATE_BIN="$PYTHON_TOOLS_DIR/bin/kubernetes-validate"
CHECKOV_BIN="$PYTHON_TOOLS_DIR/bin/checkov"

# The engine tier's tools (setup.sh --engine).
ETCD_BIN="$TOOLCHAIN_CACHE_DIR/etcd/$ETCD_VERSION/etcd"
KUBE_APISERVER_BIN="$TOOLCHAIN_CACHE_DIR/kubernetes/$KUBERNETES_VERSION/kube-apiserver"
KUBE_CONTROLLER_MANAGER_BIN="$TOOLCHAIN_CACHE_DIR/kubernetes/$KUBERNETES_VERSION/kube-controller-manager"
KUBE_SCHEDULER_BIN="$TOOLCHAIN_CACHE_DIR/kubernetes/$KUBERNETES_VERSION/kube-scheduler"
KWOK_BIN="$TOOLCHAIN_CACHE_DIR/kwok/$KWOK_VERSION/kwok"
PULUMI_BIN="$TOOLCHAIN_CACHE_DIR/pulumi/$PULUMI_VERSION/pulumi"
PULUMI_KUBERNETES_BIN="$TOOLCHAIN_CACHE_DIR/pulumi-kubernetes/v$PULUMI_KUBERNETES_VERSION/pulumi-resource-kubernetes"
PROMETHEUS_OPERATOR_CRD_DIR="$TOOLCHAIN_CACHE_DIR/prometheus-operator/$PROMETHEUS_OPERATOR_VERSION/crds"

# Debian installs each PostgreSQL major beside the others; take the newest server.
_toolchain_postgres="$( (ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null || true) | sort -V | tail -n 1)"
PG_BINDIR="${_toolchain_postgres%/postgres}"
unset _toolchain_postgres

PROMETHEUS_BIN="$(command -v prometheus || echo /usr/bin/prometheus)"
PROMTOOL_BIN="$(command -v promtool || echo /usr/bin/promtool)"
WRK_BIN="$(command -v wrk || echo /usr/bin/wrk)"
GIT_BIN="$(command -v git || echo /usr/bin/git)"
SHELLCHECK_BIN="$(command -v shellcheck || echo /usr/bin/shellcheck)"
