#!/usr/bin/env bash
# The real-runtime suite (issue 12): `npm run test:e2e`.
#
# Builds the pinned tools that are missing (e2e/build-tools.sh; cached outside the clone), starts the local
# control plane (e2e/cluster/start.sh) unless E2E_KUBECONFIG names a cluster, runs the mocha suites under e2e/
# (compiled by `npm run build` into dist/e2e/) and the Go suites of e2e/tools/*, and stops the control plane.
# It never skips: a missing prerequisite or a failed build fails the run, saying what is needed.
#
# Env (see e2e/README.md): E2E_KUBECONFIG, E2E_USE_PATH=1, E2E_PULUMI, E2E_GATEWAY_CHART, E2E_ISTIO_CRDS,
# E2E_KEEP=1, E2E_GREP (a mocha --grep), E2E_SKIP_GO=1 (run the mocha suites only; for development).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
log() { printf '[e2e] %s\n' "$*" >&2; }
t0=$(date +%s)

need() { command -v "$1" >/dev/null 2>&1 || { log "needs $1 on PATH: $2"; exit 2; }; }
need node "Node.js 20 or later"
need openssl "openssl (Debian package openssl), for the control plane's certificates"
if [ "${E2E_USE_PATH:-}" != "1" ]; then
  need go "Go 1.26 (https://go.dev/dl/) and the Go module proxy, to build the pinned tools (e2e/README.md); or set E2E_USE_PATH=1 and E2E_KUBECONFIG to use your own pulumi, kubectl, helm, istioctl and cluster"
  "$here/build-tools.sh"
  eval "$("$here/build-tools.sh" --env)"
  export PATH="$E2E_TOOLS_PATH:$PATH"
else
  for t in pulumi kubectl helm istioctl; do need "$t" "E2E_USE_PATH=1 takes it from PATH"; done
  [ -n "${E2E_KUBECONFIG:-}" ] || { log "E2E_USE_PATH=1 needs E2E_KUBECONFIG (a cluster with Istio's CRDs)"; exit 2; }
  [ -n "${E2E_GATEWAY_CHART:-}" ] || { log "E2E_USE_PATH=1 needs E2E_GATEWAY_CHART (a local istio/gateway chart directory)"; exit 2; }
fi
[ -d "$repo/dist/e2e" ] || { log "run npm run build first (dist/e2e is missing)"; exit 2; }

cluster_dir=""
xds_dir=""
cleanup() {
  local rc=$?
  if [ -n "$xds_dir" ]; then
    if [ "${E2E_KEEP:-}" = "1" ]; then log "kept the xDS cross-check inputs in $xds_dir"; else rm -rf "$xds_dir"; fi
  fi
  if [ -n "$cluster_dir" ]; then
    if [ "${E2E_KEEP:-}" = "1" ]; then "$here/cluster/stop.sh" --keep "$cluster_dir" || true; log "kept $cluster_dir"
    else "$here/cluster/stop.sh" "$cluster_dir" || true; fi
  fi
  log "done in $(( $(date +%s) - t0 ))s (exit $rc)"
}
trap cleanup EXIT

if [ -n "${E2E_KUBECONFIG:-}" ]; then
  export KUBECONFIG="$E2E_KUBECONFIG"
  log "using the cluster of E2E_KUBECONFIG ($KUBECONFIG)"
else
  cluster_dir="$("$here/cluster/start.sh")"
  # shellcheck disable=SC1091
  set -a; . "$cluster_dir/env"; set +a
  log "local control plane up: $E2E_APISERVER ($cluster_dir)"
fi

cd "$repo"
mocha_args=(--config "$here/.mocharc.json")
[ -n "${E2E_GREP:-}" ] && mocha_args+=(--grep "$E2E_GREP")
log "mocha suites"
npx mocha "${mocha_args[@]}"

if [ "${E2E_SKIP_GO:-}" != "1" ] && [ "${E2E_USE_PATH:-}" != "1" ]; then
  # Go suites next to the tool modules that pin their dependencies (e.g. Istio's config generation).
  # The Istio one (tools/istio/xdscheck) cross-checks the access report against Istio's generated xDS: it reads
  # the rendered examples from E2E_XDS_INPUTS and fails without them (it never skips).
  xds_dir="$(mktemp -d "${TMPDIR:-/tmp}/istio-egress-e2e-xds-XXXXXX")"
  log "xDS cross-check inputs (rendered examples + report) -> $xds_dir"
  node "$repo/dist/e2e/istio/xds-inputs.js" "$xds_dir"
  export E2E_XDS_INPUTS="$xds_dir"
  for mod in "$here"/tools/*/; do
    if find "$mod" -name '*_test.go' -not -path '*/testdata/*' | grep -q .; then
      log "go test in ${mod#$repo/}"
      (cd "$mod" && go test -trimpath -count=1 ./...)
    fi
  done
fi
