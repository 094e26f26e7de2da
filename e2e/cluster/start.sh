#!/usr/bin/env bash
# Starts a local Kubernetes control plane on loopback for the e2e suite: etcd, kube-apiserver and
# kube-controller-manager built by e2e/build-tools.sh, with certificates generated here, Istio's CRDs applied.
# No container runtime, no scheduler, no kubelet: objects are stored and validated, controllers reconcile them
# (namespaces are finalized, owned objects garbage-collected, Deployments get ReplicaSets and Pending Pods),
# but no Pod ever runs.
#
#   DIR=$(e2e/cluster/start.sh [DIR])   # prints the cluster directory (created with mktemp -d unless given)
#   export KUBECONFIG=$DIR/kubeconfig   # an admin (system:masters) client certificate
#   e2e/cluster/stop.sh "$DIR"          # stops the processes and removes DIR
#
# DIR holds: kubeconfig, env (KUBECONFIG=, E2E_APISERVER=), pki/, logs/*.log, *.pid, etcd/ (data).
# Tools: from E2E_TOOLS_PATH if set, else from `e2e/build-tools.sh --env` (build them first). CRDs: E2E_ISTIO_CRDS.
# E2E_CLUSTER_TIMEOUT (seconds, default 120) bounds each wait.
#
# Gotchas met here, with what fixed them:
# - --advertise-address=127.0.0.1 makes the apiserver's endpoint reconciler write the `kubernetes` Service's
#   Endpoints with a loopback IP, which validation refuses, and it logs that error forever:
#   --endpoint-reconciler-type=none.
# - The service CIDR is in 127.0.0.0/8 on purpose: the apiserver itself dials a Service's ClusterIP for a webhook
#   or an aggregated API that names a Service, and this workplace allows traffic to loopback only. Register
#   webhooks by `url: https://127.0.0.1:PORT/...`, never by `service:`.
# - Istio's CRDs are too large for client-side apply's last-applied annotation: `kubectl apply --server-side`.
# - etcd fsyncs each write by default, which is slow on CI disks and buys nothing for a throwaway cluster:
#   --unsafe-no-fsync.
# - kube-controller-manager logs "missing content for CA bundle ...requestheader-client-ca-file" at start: harmless
#   (no front proxy is configured), not an error of ours.
# - kube-controller-manager needs --authentication-kubeconfig/--authorization-kubeconfig, or it cannot check its
#   own callers and warns; --leader-elect=false avoids a lease round-trip at start.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
timeout_s="${E2E_CLUSTER_TIMEOUT:-120}"

if [ -z "${E2E_TOOLS_PATH:-}" ]; then
  env_lines="$("$here/../build-tools.sh" --env)" || { echo "start.sh: tools missing: run e2e/build-tools.sh" >&2; exit 1; }
  eval "$env_lines"
fi
export PATH="$E2E_TOOLS_PATH:$PATH"
for t in etcd kube-apiserver kube-controller-manager kubectl openssl curl python3; do
  command -v "$t" >/dev/null || { echo "start.sh: $t not found (E2E_TOOLS_PATH=$E2E_TOOLS_PATH)" >&2; exit 1; }
done

dir="${1:-$(mktemp -d "${TMPDIR:-/tmp}/istio-egress-cluster.XXXXXX")}"
mkdir -p "$dir/pki" "$dir/logs" "$dir/etcd"
dir="$(cd "$dir" && pwd)"
log() { printf '[cluster] %s\n' "$*" >&2; }

fail() {
  log "FAILED: $*"
  for f in "$dir"/logs/*.log; do [ -f "$f" ] && { log "--- tail of $f"; tail -n 25 "$f" >&2; }; done
  "$here/stop.sh" --keep "$dir" >&2 || true
  log "logs kept in $dir/logs"
  exit 1
}
trap 'fail "interrupted or a command failed (line $LINENO)"' ERR INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() { # wait_for WHAT CMD...: retries CMD until it succeeds or the timeout passes
  local what="$1"; shift
  local deadline=$(( $(date +%s) + timeout_s ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${timeout_s}s waiting for $what"
    sleep 0.5
  done
}

start=$(date +%s)

# --- certificates (valid 2 days: the cluster is thrown away after the run)
pki="$dir/pki"
svc_cidr="127.96.0.0/16"; svc_ip="127.96.0.1"   # first IP of the range: the `kubernetes` Service
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=istio-egress-e2e-ca" 2>/dev/null
  sign() { # sign NAME SUBJECT EXTENSIONS
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    printf '%b' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 2 -extfile "$1.ext" 2>/dev/null
  }
  sign apiserver "/CN=kube-apiserver" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:$svc_ip\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment"
  sign admin "/O=system:masters/CN=e2e-admin" "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment"
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)

etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port); kcm_port=$(free_port)
api="https://127.0.0.1:$api_port"

# --- kubeconfig (certificates embedded, so the file can be copied anywhere)
b64() { base64 -w0 < "$1"; }
cat > "$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: $api
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: e2e-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: e2e
  context: {cluster: e2e, user: e2e-admin, namespace: default}
current-context: e2e
EOF
chmod 600 "$dir/kubeconfig"

spawn() { # spawn NAME CMD...: runs CMD in its own session, logs to logs/NAME.log, pid in NAME.pid
  local name="$1"; shift
  setsid "$@" > "$dir/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
}
alive() { kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null || fail "$1 exited"; }

# --- etcd
spawn etcd etcd --name e2e --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "e2e=http://127.0.0.1:$etcd_peer" \
  --unsafe-no-fsync --log-level warn
etcd_ready() { alive etcd; curl -fsS "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"'; }
wait_for etcd etcd_ready
log "etcd ready on 127.0.0.1:$etcd_port"

# --- kube-apiserver
spawn kube-apiserver kube-apiserver \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range "$svc_cidr" --endpoint-reconciler-type none \
  --authorization-mode RBAC --allow-privileged=true \
  --profiling=false --cert-dir "$dir/pki/apiserver-generated"
api_ready() {
  alive kube-apiserver
  curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$api/readyz" | grep -q '^ok$'
}
wait_for kube-apiserver api_ready
log "kube-apiserver ready at $api ($(curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$api/version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["gitVersion"])'))"

# --- kube-controller-manager
spawn kube-controller-manager kube-controller-manager \
  --kubeconfig "$dir/kubeconfig" \
  --authentication-kubeconfig "$dir/kubeconfig" --authorization-kubeconfig "$dir/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$dir/pki/kcm-generated" \
  --leader-elect=false --use-service-account-credentials=false \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --service-cluster-ip-range "$svc_cidr"
kcm_ready() { alive kube-controller-manager; curl -ksf "https://127.0.0.1:$kcm_port/healthz" | grep -q '^ok$'; }
wait_for kube-controller-manager kcm_ready
export KUBECONFIG="$dir/kubeconfig"
# The service-account controller creating `default` in `default` proves the controllers run, not only /healthz.
wait_for "the controllers (default ServiceAccount)" kubectl get serviceaccount default -n default
log "kube-controller-manager ready"

# --- Istio's CRDs
if [ -n "${E2E_ISTIO_CRDS:-}" ]; then
  kubectl apply --server-side --field-manager e2e-cluster -f "$E2E_ISTIO_CRDS" > "$dir/logs/crds.log"
  kubectl wait --for condition=Established --timeout "${timeout_s}s" crd --all >> "$dir/logs/crds.log"
  log "Istio CRDs established: $(grep -c 'condition met' "$dir/logs/crds.log")"
else
  log "E2E_ISTIO_CRDS not set: no Istio CRDs applied"
fi

cat > "$dir/env" <<EOF
export KUBECONFIG='$dir/kubeconfig'
export E2E_APISERVER='$api'
export E2E_CLUSTER_DIR='$dir'
EOF
trap - ERR INT TERM
log "control plane up in $(( $(date +%s) - start ))s: $dir"
echo "$dir"
