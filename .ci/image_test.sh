#!/usr/bin/env bash
# `make image-test`: build the production image from the Dockerfile as it is, boot compose.yaml
# (migrate, web, worker, redis, postgres) with podman-compose, run the smoke test through HTTP
# and the worker (.ci/image_smoke.py), and tear everything down, whatever happens.
#
# Where the official base images cannot be pulled (these machines cannot reach Docker Hub),
# stand-ins are built from Debian packages with debootstrap, from the mirror apt uses here,
# and kept between runs under localhost/cardsapp-standin/* (they are never part of the repo).
# Runs as root, with no standard input. Figures: docs/operations.md, "The image check".
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$(date +%s)

project=cardsapp-imagetest
standin=localhost/cardsapp-standin
app_image=localhost/cardsapp:imagetest
# Progress goes to standard error: functions below answer on standard output.
log() { printf '[image-test %4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }

# --- tools ------------------------------------------------------------------------------------
missing=()
for tool in podman podman-compose runc debootstrap; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman podman-compose runc debootstrap >/dev/null
fi

work=$(mktemp -d /tmp/cardsapp-image-test.XXXXXX)
# crun fails in these VMs ("cgroups in hybrid mode not supported") and so does raising
# resource limits past the VM's; runc with explicit limits works.
cat >"$work/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$work/containers.conf

keep_standins=""  # filled once the bases are chosen; until then no stand-in is removed
compose() { podman-compose -p "$project" -f compose.yaml "$@"; }

teardown() {
  # Everything this check started: containers, pod, network, volumes, the app image.
  compose down -v >/dev/null 2>&1 || true
  local ids
  ids=$(podman ps -aq --filter "label=io.podman.compose.project=$project" 2>/dev/null || true)
  [[ -n $ids ]] && podman rm -f $ids >/dev/null 2>&1
  podman pod rm -f "pod_$project" >/dev/null 2>&1 || true
  ids=$(podman volume ls -q --filter "label=io.podman.compose.project=$project" 2>/dev/null || true)
  [[ -n $ids ]] && podman volume rm -f $ids >/dev/null 2>&1
  podman network rm -f "${project}_default" >/dev/null 2>&1 || true
  # The image and its build stage stay (tagged, replaced by the next run): the next build reuses
  # its unchanged layers: the locked dependencies are installed again only when the lock
  # changes. Images it replaced, and stand-ins of an older recipe, are removed.
  podman image prune -f >/dev/null 2>&1 || true
  local old
  if [[ -n $keep_standins ]]; then
    for old in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep "^$standin/" || true); do
      [[ " $keep_standins " == *" $old "* ]] || podman rmi "$old" >/dev/null 2>&1 || true
    done
  fi
  return 0
}

finish() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then
    log "FAILED (exit $rc); the containers' last log lines:"
    for service in migrate web worker redis postgres; do
      echo "--- $service"
      podman logs --tail 40 "${project}_${service}_1" 2>&1 || true
    done
  fi
  log "tearing down"
  teardown
  rm -rf "$work"
  log "image check took $(($(date +%s) - started)) s (exit $rc)"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

log "removing what an earlier run may have left"
teardown

# --- base images ------------------------------------------------------------------------------
# The Debian mirror apt uses on this machine (never a host written into the repo).
debian_mirror() {
  apt-cache policy 2>/dev/null | awk '$3 == "bookworm/main" { print $2; exit }'
}

debian_base() {
  local image=$standin/debian:bookworm
  if ! podman image exists "$image"; then
    local mirror
    mirror=$(debian_mirror)
    [[ -n $mirror ]] || { log "no bookworm mirror in apt's sources"; return 1; }
    log "debootstrap bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log"; return 1; }
    tar -C "$work/rootfs" -c . | podman import -q - "$image" >/dev/null
    rm -rf "$work/rootfs"
  fi
  echo "$image"
}

# The machine's own CA certificates (a TLS-inspecting proxy here), so that pip and apt inside
# the builds can reach their indexes. Copied in at build time, never committed.
local_ca() {
  local dir=$1
  mkdir -p "$dir/ca"
  cp /usr/local/share/ca-certificates/*.crt "$dir/ca/" 2>/dev/null || true
  touch "$dir/ca/.keep"
}

ca_digest() { cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum | cut -c1-12; }

build_standin() {
  # Tagged with a digest of its recipe: a changed recipe builds a new stand-in.
  local name=$1 dir=$work/standin-$1 recipe
  recipe=$(cat ".ci/standin/$name.Containerfile" .ci/standin/*.sh | sha256sum | cut -c1-12)
  local image=$standin/$name:$2-$recipe
  if podman image exists "$image"; then
    echo "$image"
    return
  fi
  local debian
  debian=$(debian_base)
  mkdir -p "$dir"
  local_ca "$dir"
  cp ".ci/standin/$name.Containerfile" "$dir/Containerfile"
  cp .ci/standin/*.sh "$dir/" 2>/dev/null || true
  log "building stand-in $image"
  podman build -q --pull=never --build-arg "DEBIAN=$debian" -t "$image" "$dir" >/dev/null
  echo "$image"
}

pick_image() {
  # An official image if it is here or can be pulled quickly, else a stand-in.
  local official=$1 name=$2 tag=$3
  if podman image exists "$official" || timeout 120 podman pull -q "$official" >/dev/null 2>&1; then
    echo "$official"
  else
    build_standin "$name" "$tag"
  fi
}

base_python=$(pick_image docker.io/library/python:3.11-slim-bookworm python "3.11-$(ca_digest)")
redis_image=$(pick_image docker.io/library/redis:7-alpine redis 7)
postgres_image=$(pick_image docker.io/library/postgres:16-alpine postgres 15)
keep_standins="$standin/debian:bookworm $base_python $redis_image $postgres_image"
log "bases: $base_python, $redis_image, $postgres_image"
[[ ${1:-} == --bases-only ]] && exit 0

# --- the image --------------------------------------------------------------------------------
log "building the image from the Dockerfile"
# The build stage is tagged too, so that its layers (the locked dependencies) outlive the
# clean-up of replaced images and are reused while the lock does not change.
for target in build final; do
  tag=$app_image-build target_arg=(--target build)
  [[ $target == final ]] && tag=$app_image target_arg=()
  podman build -q --pull=never --layers "${target_arg[@]}" --build-arg "BASE_IMAGE=$base_python" \
    -t "$tag" . >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
done
log "image size: $(podman image inspect --format '{{.Size}}' "$app_image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"

# --- the stack --------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }
export CARDS_IMAGE=$app_image REDIS_IMAGE=$redis_image POSTGRES_IMAGE=$postgres_image
export CARDS_HTTP_PORT=$port POSTGRES_PASSWORD=$(secret) SECRET_KEY=$(secret)
export CARDS_ADDRESS_KEYS=$(secret)
log "starting compose.yaml on 127.0.0.1:$port"
compose up -d >"$work/up.log" 2>&1 || { tail -40 "$work/up.log"; exit 1; }

python=python3
[[ -x .venv/bin/python ]] && python=.venv/bin/python
"$python" .ci/image_smoke.py --project "$project" --base "http://127.0.0.1:$port" \
  ${IMAGE_TEST_METRICS_OUT:+--metrics-out "$IMAGE_TEST_METRICS_OUT"}
log "smoke test passed"
