#!/usr/bin/env bash
# Installs what `make serve-cluster` / `make test-cluster` need on Debian/Ubuntu: redis-server, nginx and, when
# no PostgreSQL server binaries are found, postgresql. Only what is missing; safe to run again.
# The packages' own system services are not left running: service/cluster.py starts private copies
# (data under .cluster/, 127.0.0.1 only), and a system nginx on :80 or redis on :6379 is not wanted.
set -euo pipefail

say() { printf '%s\n' "$*"; }

have_pg() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
have_pg || missing+=(postgresql)

if [ ${#missing[@]} -eq 0 ]; then
  say "集群依赖已安装（redis-server、nginx、PostgreSQL）。 / Cluster dependencies already installed (redis-server, nginx, PostgreSQL)."
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "缺少：${missing[*]}。此脚本只支持 apt-get（Debian/Ubuntu），请用系统的包管理器安装。"
  say "Missing: ${missing[*]}. This script only knows apt-get (Debian/Ubuntu); install them with your package manager."
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    say "安装 ${missing[*]} 需要 root 权限（或 sudo）。 / Installing ${missing[*]} needs root (or sudo)."
    exit 1
  fi
fi

say "正在安装：${missing[*]} / Installing: ${missing[*]}"

# Keep the packages' postinst from starting their system services (invoke-rc.d honours policy-rc.d).
# An existing policy-rc.d is left as it is; ours is removed afterwards.
POLICY=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# written by install_cluster_deps.sh for the time of the install\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  own_policy=1
fi
cleanup() { if [ -n "$own_policy" ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  say "apt-get install 失败，先更新软件包索引后重试。 / apt-get install failed; updating the package lists and retrying."
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Where a service manager started them anyway (systemd does not ask policy-rc.d), stop and disable the
# system copies of what was just installed (never a service that was there before).
for svc in "${missing[@]}"; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    $SUDO service "$svc" stop >/dev/null 2>&1 || true
  fi
done
# Last resort: a system nginx/redis still running from the install (pid files of the Debian packages).
for pidfile in /run/nginx.pid /run/redis/redis-server.pid; do
  case " ${missing[*]} " in *" $(basename "$pidfile" .pid) "*) ;; *) continue ;; esac
  if [ -s "$pidfile" ] && $SUDO kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    $SUDO kill "$(cat "$pidfile")" 2>/dev/null || true
  fi
done

for bin in redis-server nginx; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || { say "安装后仍找不到 $bin。 / $bin still missing after the install."; exit 1; }
done
have_pg || { say "安装后仍找不到 PostgreSQL 的 initdb。 / PostgreSQL's initdb still missing after the install."; exit 1; }
say "集群依赖已安装；系统自带的服务未启动。 / Cluster dependencies installed; the system services are not running."
