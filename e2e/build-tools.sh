#!/usr/bin/env bash
# Builds the e2e suite's real tools from Go modules (e2e/tools/<tool>/go.mod pins each one) into a cache outside
# the clone, keyed by version and by a hash of the tool's module files and build recipe, so a warm run builds
# nothing. See e2e/README.md.
#
#   e2e/build-tools.sh [TOOL...]   build what is missing (all tools when none is named)
#   e2e/build-tools.sh --env       print `export` lines for the built tools (fails if one is missing); eval it
#   e2e/build-tools.sh --list      print each tool's cache directory
#   e2e/build-tools.sh --prune     remove cached builds that no current version/recipe names
#
# TOOL: kube (kube-apiserver, kube-controller-manager, kubectl), etcd, helm, istio (istioctl, Istio's CRDs and the
# istio/gateway chart), pulumi (pulumi CLI, pulumi-language-nodejs), pulumi-kubernetes (pulumi-resource-kubernetes), pilot
# (pilot-discovery, only when named or E2E_BUILD_PILOT=1: see the README for its cost).
#
# Environment: ISTIO_EGRESS_TOOLS (cache root, default ~/.cache/istio-egress/tools); GOMODCACHE, GOCACHE, GOFLAGS
# as usual (the default Go caches are shared with every other build on the machine, which is what we want).
#
# Gotchas met while writing this (kept here so nobody meets them twice):
# - The module proxy on these machines serves only some versions (403 "This module version is not available"
#   for the rest, including every `@branch`/`@tag` query and most pseudo-versions): each go.mod pins versions
#   that it does serve. Don't `go get -u` them.
# - A build interrupted half-way must not leave a directory that looks complete: each tool is built into
#   <root>/.tmp-<key>-<pid> and renamed into place (with a .complete marker) at the end; a stale .tmp-* whose pid
#   is gone is removed on the next run. (Tried: TERM to this script mid-build leaves its `go build` child running
#   until it finishes, which recreates the .tmp dir; the next run removes it and builds again, correctly.)
# - `go build -o DIR/ .../server/v3` names the binary "server": etcd is built with an explicit -o.
# - k8s binaries report gitVersion v0.0.0-master+$Format:%H$ unless k8s.io/component-base/version is set with
#   -ldflags -X, and clients (helm's kubeVersion checks, istioctl's precheck) then refuse the server.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${ISTIO_EGRESS_TOOLS:-$HOME/.cache/istio-egress/tools}"
gover="$(go env GOVERSION)"

# Versions, each the one its go.mod requires (checked below, so the two cannot drift apart).
K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
HELM_VERSION=v3.22.0
ISTIO_MODULE_VERSION=v0.0.0-20260827124520-eed52ebb66ad
ISTIO_VERSION=1.31-dev+eed52ebb66ad     # what istioctl reports: the module's VERSION file (1.31) and its commit
PULUMI_VERSION=v3.248.0
PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199

log() { printf '[build-tools] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

modver() { # modver TOOLDIR MODULE -> the version TOOLDIR's build list has for MODULE
  (cd "$here/tools/$1" && GOFLAGS=-mod=mod go list -m -f '{{.Version}}' "$2")
}
moddir() { # moddir TOOLDIR MODULE -> MODULE's directory in the module cache (downloads it if needed)
  # (`go list -m -f {{.Dir}}` prints nothing for a module not yet extracted in this GOMODCACHE: download it.)
  local v d; v="$(modver "$1" "$2")"
  d="$(cd "$here/tools/$1" && go mod download -json "$2@$v" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$d" ] || die "no module directory for $2@$v"
  echo "$d"
}

# recipe TOOL: everything that decides the build's output besides the module files; part of the cache key.
recipe() {
  case "$1" in
    kube)
      local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
      echo "bins=kube-apiserver,kube-controller-manager,kubectl version=$K8S_VERSION"
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
          "$p" "$K8S_VERSION" "$p" "$p" "$minor" "$p"
      done
      echo ;;
    etcd) echo "bins=etcd version=$ETCD_VERSION" ;;
    helm) echo "bins=helm version=$HELM_VERSION" ;;
    istio) echo "bins=istioctl share=crds,gateway-chart version=$ISTIO_VERSION" ;;
    pilot) echo "bins=pilot-discovery version=$ISTIO_VERSION" ;;
    pulumi) echo "bins=pulumi,pulumi-language-nodejs version=$PULUMI_VERSION" ;;
    pulumi-kubernetes) echo "bins=pulumi-resource-kubernetes version=$PROVIDER_MODULE_VERSION" ;;
    *) die "unknown tool $1" ;;
  esac
}

moddir_of() { case "$1" in pilot) echo istio ;; *) echo "$1" ;; esac; }

key() { # key TOOL -> <tool>-<version>-<hash>
  local t="$1" m; m="$(moddir_of "$t")"
  local v
  case "$t" in
    kube) v="$K8S_VERSION" ;; etcd) v="$ETCD_VERSION" ;; helm) v="$HELM_VERSION" ;;
    istio|pilot) v="${ISTIO_VERSION%%+*}-${ISTIO_MODULE_VERSION##*-}" ;; pulumi) v="$PULUMI_VERSION" ;;
    pulumi-kubernetes) v="${PROVIDER_MODULE_VERSION#v}" ;;
  esac
  local h
  h="$( { recipe "$t"; echo "$gover"; (cd "$here/tools/$m" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) ! -name '*_test.go' | LC_ALL=C sort | xargs sha256sum); } \
        | sha256sum | cut -c1-10)"
  echo "$t-$v-$h"
}

check_pins() {
  [ "$(modver kube k8s.io/kubernetes)" = "$K8S_VERSION" ] || die "tools/kube/go.mod does not require k8s.io/kubernetes $K8S_VERSION"
  [ "$(modver etcd go.etcd.io/etcd/server/v3)" = "$ETCD_VERSION" ] || die "tools/etcd/go.mod does not require etcd $ETCD_VERSION"
  [ "$(modver helm helm.sh/helm/v3)" = "$HELM_VERSION" ] || die "tools/helm/go.mod does not require helm $HELM_VERSION"
  [ "$(modver istio istio.io/istio)" = "$ISTIO_MODULE_VERSION" ] || die "tools/istio/go.mod does not require istio $ISTIO_MODULE_VERSION"
  [ "$(modver pulumi github.com/pulumi/pulumi/pkg/v3)" = "$PULUMI_VERSION" ] || die "tools/pulumi/go.mod does not require pulumi pkg $PULUMI_VERSION"
  [ "$(modver pulumi github.com/pulumi/pulumi/sdk/v3)" = "$PULUMI_VERSION" ] || die "tools/pulumi/go.mod's pulumi sdk is not $PULUMI_VERSION"
  [ "$(modver pulumi-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4)" = "$PROVIDER_MODULE_VERSION" ] || die "tools/pulumi-kubernetes/go.mod's provider is not $PROVIDER_MODULE_VERSION"
}

gobuild() { # gobuild SRC OUT LDFLAGS PKG...
  local src="$1" out="$2" ld="$3"; shift 3
  (cd "$src" && go build -mod=readonly -trimpath -ldflags "-s -w $ld" -o "$out" "$@")
}

build_one() { # build_one TOOL TMPDIR
  local t="$1" tmp="$2" src="$2/src"
  mkdir -p "$tmp/bin" "$src"
  cp -R "$here/tools/$(moddir_of "$t")/." "$src/"
  case "$t" in
    kube)
      gobuild "$src" "$tmp/bin/" "$(recipe kube | sed -n 2p)" \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl ;;
    etcd)
      gobuild "$src" "$tmp/bin/etcd" "" go.etcd.io/etcd/server/v3 ;;
    helm)
      local cg major minor; cg="$(modver helm k8s.io/client-go)"; minor="${cg#v0.}"; minor="${minor%%.*}"; major=1
      gobuild "$src" "$tmp/bin/helm" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
        -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
        -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor \
        -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor" \
        helm.sh/helm/v3/cmd/helm ;;
    istio|pilot)
      local ld="-X istio.io/istio/pkg/version.buildVersion=$ISTIO_VERSION \
        -X istio.io/istio/pkg/version.buildGitRevision=${ISTIO_MODULE_VERSION##*-} \
        -X istio.io/istio/pkg/version.buildStatus=Clean -X istio.io/istio/pkg/version.buildTag=$ISTIO_VERSION"
      if [ "$t" = pilot ]; then
        gobuild "$src" "$tmp/bin/pilot-discovery" "$ld" istio.io/istio/pilot/cmd/pilot-discovery
      else
        gobuild "$src" "$tmp/bin/istioctl" "$ld" istio.io/istio/istioctl/cmd/istioctl
        # Istio's CRDs (from the istio.io/api version that this istio.io/istio pins) and the istio/gateway chart
        # (from the istio.io/istio module itself), copied out of the module cache; never committed.
        local api istio; api="$(moddir istio istio.io/api)"; istio="$(moddir istio istio.io/istio)"
        mkdir -p "$tmp/share"
        cp "$api/kubernetes/customresourcedefinitions.gen.yaml" "$tmp/share/istio-crds.yaml"
        cp -R "$istio/manifests/charts/gateway" "$tmp/share/gateway-chart"
        chmod -R u+w "$tmp/share"
        # The chart in the module says version 1.0.0 (Istio's release tooling stamps the real one): stamp ours.
        sed -i "s/^version: .*/version: ${ISTIO_VERSION%%+*}/; s/^appVersion: .*/appVersion: ${ISTIO_VERSION%%+*}/" \
          "$tmp/share/gateway-chart/Chart.yaml"
      fi ;;
    pulumi)
      gobuild "$src" "$tmp/bin/" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./cmd/pulumi-language-nodejs ;;
    pulumi-kubernetes)
      local prov; prov="$(moddir pulumi-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4)"
      cp "$prov/cmd/pulumi-resource-kubernetes/schema.json" "$prov/cmd/pulumi-resource-kubernetes/terraform-mapping.json" \
        "$src/cmd/pulumi-resource-kubernetes/"
      chmod u+w "$src/cmd/pulumi-resource-kubernetes/"*.json
      gobuild "$src" "$tmp/bin/pulumi-resource-kubernetes" "-X main.version=${PROVIDER_MODULE_VERSION#v}" \
        ./cmd/pulumi-resource-kubernetes ;;
  esac
  rm -rf "$src"
}

cpu_now=0
child_cpu() { # sets cpu_now: user+system CPU seconds of this shell's finished children so far (a measure that other
  # processes competing for the 2 cores inflate much less than wall time). Not $(child_cpu): `times` in a
  # command substitution's subshell sees no children.
  local f; f="$(mktemp)"; times > "$f"
  cpu_now="$(tail -n 1 "$f" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t }')"
  rm -f "$f"
}

bins_of() { recipe "$1" | sed -n '1s/.*bins=\([^ ]*\).*/\1/p' | tr , ' '; }

complete() { [ -f "$root/$(key "$1")/.complete" ]; }

build() {
  local t="$1" k dest tmp start
  k="$(key "$t")"; dest="$root/$k"
  if complete "$t"; then log "$t: cached ($dest), nothing to build"; return; fi
  tmp="$root/.tmp-$k-$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  # Not `build_one ... || die`: bash ignores set -e inside a command tested with || (a failed cp went unnoticed).
  trap "rc=\$?; rm -rf '$tmp'; [ \$rc = 0 ] || log 'FAILED: $t (exit \$rc, see above)'" EXIT
  log "$t: building into $dest"
  start=$(date +%s); child_cpu; local cpu0="$cpu_now"
  build_one "$t" "$tmp"
  for b in $(bins_of "$t"); do [ -x "$tmp/bin/$b" ] || die "$t: $b was not built"; done
  echo "$k built $(date -u +%FT%TZ) with $gover" > "$tmp/.complete"
  rm -rf "$dest"; mv -T "$tmp" "$dest"
  trap - EXIT
  child_cpu
  log "$t: built in $(( $(date +%s) - start ))s wall, $(( cpu_now - cpu0 ))s CPU ($(du -sh "$dest" | cut -f1))"
}

# Everything below runs from main, defined in full before it starts: bash reads a script as it runs it, so editing
# this file while a build is running would otherwise make the running copy execute a mix of old and new lines.
main() {
  all_tools="kube etcd helm istio pulumi pulumi-kubernetes"
  [ "${E2E_BUILD_PILOT:-0}" = 1 ] && all_tools="$all_tools pilot"

  case "${1:-}" in
    --list) for t in $all_tools; do echo "$t $root/$(key "$t")"; done; exit 0 ;;
    --prune) # remove cached builds that no current key names (old versions, old recipes)
      local keep=" " d
      for t in kube etcd helm istio pilot pulumi pulumi-kubernetes; do keep="$keep$(key "$t") "; done
      for d in "$root"/*/; do
        [ -d "$d" ] || continue
        case "$keep" in *" $(basename "$d") "*) ;; *) log "prune $d"; rm -rf "$d" ;; esac
      done
      exit 0 ;;
    --env)
      path=""
      for t in $all_tools; do complete "$t" || die "$t is not built: run e2e/build-tools.sh"; path="$root/$(key "$t")/bin:$path"; done
      echo "export E2E_TOOLS_PATH='${path%:}'"
      echo "export E2E_ISTIO_CRDS='$root/$(key istio)/share/istio-crds.yaml'"
      echo "export E2E_GATEWAY_CHART='$root/$(key istio)/share/gateway-chart'"
      exit 0 ;;
  esac

  command -v go >/dev/null || die "go is not on PATH (the e2e tools are built from Go modules; see e2e/README.md)"
  mkdir -p "$root"
  for stale in "$root"/.tmp-*; do  # left by an interrupted build whose process is gone
    [ -e "$stale" ] || continue
    kill -0 "${stale##*-}" 2>/dev/null || rm -rf "$stale"
  done
  check_pins
  total_start=$(date +%s)
  for t in "${@:-$all_tools}"; do
    for tt in $t; do build "$tt"; done
  done
  child_cpu
  log "all done in $(( $(date +%s) - total_start ))s wall, ${cpu_now}s CPU; cache $root ($(du -sh "$root" | cut -f1))"
}

main "$@"; exit $?
