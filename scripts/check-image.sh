#!/usr/bin/env bash
# Start the built image's trigger, dispatcher and evaluator against the test stack
# and wait until each answers 200 on /readyz. Exits non-zero if any does not.
#
#   scripts/check-image.sh [IMAGE]        # default localhost/roundhouse:dev (scripts/build-image.sh)
#
# The stack: KAFKA_BROKERS, SCHEMA_REGISTRY_URL and KUBECONFIG from the
# environment, else those of the stack running on this machine
# (`tsx test/stack/cli.ts env`; start one with: eval "$(npm run -s stack:up)").
# It starts nothing and stops nothing of the stack.
#
# Without Docker, each service runs in its own buildah working container
# (`buildah from` + `buildah run --isolation chroot --network host`), as the
# image's user (10001), with the command the Kubernetes manifests use
# (node dist/services/<service>/main.js). Names are random per run: topics and
# consumer groups under ROUNDHOUSE_TOPIC_PREFIX=imgcheck-<id>-, and a namespace
# imgcheck-<id> for the dispatcher's Jobs (deleted afterwards; the topics stay,
# like the integration tests' random topics).
#
# Not part of `npm test` or the default .ci/run (the image build takes ~17 min);
# .ci/run runs build + check with ROUNDHOUSE_IMAGE_CHECK=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE="${1:-localhost/roundhouse:dev}"
READY_TIMEOUT="${ROUNDHOUSE_IMAGE_READY_TIMEOUT:-180}"
SERVICES=(trigger dispatcher evaluator)

log() { echo "check-image: $*" >&2; }
fail() { log "$*"; exit 1; }

command -v buildah >/dev/null || fail "buildah not found: apt-get install -y buildah (then scripts/build-image.sh)"
command -v curl >/dev/null || fail "curl not found: apt-get install -y curl"
bh() { buildah --storage-driver vfs "$@"; }
bh inspect --type image "$IMAGE" >/dev/null 2>&1 || fail "no image $IMAGE in buildah's vfs storage: build it with scripts/build-image.sh"

if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${SCHEMA_REGISTRY_URL:-}" ] || [ -z "${KUBECONFIG:-}" ]; then
  stack_env=$(npx tsx test/stack/cli.ts env) || fail "no test stack: start one with eval \"\$(npm run -s stack:up)\", or export KAFKA_BROKERS, SCHEMA_REGISTRY_URL and KUBECONFIG"
  eval "$stack_env"
fi
log "stack: KAFKA_BROKERS=$KAFKA_BROKERS SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL KUBECONFIG=$KUBECONFIG"
command -v kubectl >/dev/null || fail "kubectl not found (the dispatcher's namespace is made with it)"

id="$(date +%s)-$RANDOM"
prefix="imgcheck-$id-"
namespace="imgcheck-$id"
work=$(mktemp -d)
declare -A pid ctr port
cleanup() {
  for s in "${SERVICES[@]}"; do
    # Each `buildah run` was started by us in its own session: stop its process group.
    [ -n "${pid[$s]:-}" ] && kill -TERM -- "-${pid[$s]}" 2>/dev/null || true
  done
  for s in "${SERVICES[@]}"; do
    [ -n "${pid[$s]:-}" ] && wait "${pid[$s]}" 2>/dev/null || true
    [ -n "${ctr[$s]:-}" ] && bh rm "${ctr[$s]}" >/dev/null 2>&1 || true
  done
  kubectl --kubeconfig "$KUBECONFIG" delete namespace "$namespace" --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

kubectl --kubeconfig "$KUBECONFIG" create namespace "$namespace" >/dev/null
# The container's user (10001) reads the kubeconfig: a copy it may read, mounted read-only.
install -m 0644 "$KUBECONFIG" "$work/kubeconfig"

# The trigger reads the catalog's source topics, which producers own and the
# services do not create: a copy of the default catalog with prefixed source
# topics, and those topics made here (kafkajs from the repository's node_modules).
sed -E "s/^( *(featureTopic|labelTopic): *)([^ #]+)/\1$prefix\3/" config/catalog.yaml >"$work/catalog.yaml"
chmod 0644 "$work/catalog.yaml"
mapfile -t sources < <(sed -nE 's/^ *(featureTopic|labelTopic): *([^ #]+).*/\2/p' "$work/catalog.yaml" | sort -u)
node -e '
  const { Kafka, logLevel } = require("kafkajs");
  const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(","), logLevel: logLevel.NOTHING }).admin();
  const topics = process.argv.slice(1).map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 }));
  admin.connect().then(() => admin.createTopics({ topics, waitForLeaders: true })).then(() => admin.disconnect())
    .catch((e) => { console.error("check-image: creating the source topics: " + e.message); process.exit(1); });
' "${sources[@]}"
log "source topics: ${sources[*]}"

common=(
  -e ROUNDHOUSE_CATALOG=/etc/roundhouse/catalog.yaml -v "$work/catalog.yaml:/etc/roundhouse/catalog.yaml:ro"
  -e KAFKA_BROKERS="$KAFKA_BROKERS"
  -e SCHEMA_REGISTRY_URL="$SCHEMA_REGISTRY_URL"
  -e KAFKA_TOPIC_PARTITIONS=1 -e KAFKA_REPLICATION_FACTOR=1
  -e ROUNDHOUSE_TOPIC_PREFIX="$prefix"
  -e ARTIFACT_ROOT=file:///data/artifacts
  -e METRICS_HOST=127.0.0.1 -e LOG_LEVEL=info
)
# One at a time, each until ready: services registering the same schemas at the
# same moment can fail once (docs/deployment.md, "Concurrent first start"), and a
# check that passes only after a restart would hide a real failure.
status=0
for s in "${SERVICES[@]}"; do
  start=$SECONDS
  port[$s]=$(free_port)
  ctr[$s]=$(bh from --quiet --pull=never --name "roundhouse-imgcheck-$s-$id" "$IMAGE")
  extra=(-e ROUNDHOUSE_INSTANCE_ID="imgcheck-$s-$id")
  case $s in
    dispatcher)
      # Probes and /metrics are on METRICS_PORT (their own port), the JSON API on DISPATCHER_PORT.
      extra+=(-e METRICS_PORT="${port[$s]}" -e DISPATCHER_PORT="$(free_port)"
        -e DISPATCHER_EXECUTOR=kubernetes -e KUBECONFIG=/etc/roundhouse/kubeconfig
        -e KUBERNETES_NAMESPACE="$namespace" -v "$work/kubeconfig:/etc/roundhouse/kubeconfig:ro") ;;
    *) extra+=(-e METRICS_PORT="${port[$s]}") ;;
  esac
  # setsid: its own process group, so cleanup stops exactly what was started here.
  setsid buildah --storage-driver vfs run --isolation chroot --network host "${common[@]}" "${extra[@]}" \
    "${ctr[$s]}" -- node "dist/services/$s/main.js" >"$work/$s.log" 2>&1 &
  pid[$s]=$!
  log "started $s (container ${ctr[$s]}, pid ${pid[$s]}, /readyz on 127.0.0.1:${port[$s]})"
  code=000
  while [ $((SECONDS - start)) -lt "$READY_TIMEOUT" ]; do
    kill -0 "${pid[$s]}" 2>/dev/null || { log "$s exited before it was ready"; break; }
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${port[$s]}/readyz" || true)
    [ "$code" = 200 ] && break
    sleep 1
  done
  if [ "$code" = 200 ]; then
    log "$s: /readyz 200 after $((SECONDS - start))s: $(curl -s --max-time 2 "http://127.0.0.1:${port[$s]}/readyz" | head -c 200)"
  else
    status=1
    log "$s: NOT ready (last /readyz answer: $code) within ${READY_TIMEOUT}s; its output:"
    tail -n 40 "$work/$s.log" | sed "s/^/  $s| /" >&2
  fi
done
[ "$status" = 0 ] && log "all of ${SERVICES[*]} ready from $IMAGE" || log "FAILED: not every service reached ready from $IMAGE"
exit "$status"
