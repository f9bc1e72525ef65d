#!/usr/bin/env bash
# Builds the fleet suite's real hawkBit (fleet/hawkbit-server: hawkBit 0.3.0M7's published DDI and
# Management API starters with in-memory H2) into .cache/hawkbit/hawkbit-server-<hash>.jar, where
# <hash> covers the POM, the Maven settings and the sources: an unchanged server is not rebuilt
# (≈ 0.1 s). A cold build downloads ≈ 100 MiB of jars from Maven Central into .cache/m2 (≈ 45–80 s
# on 2 cores). A Java 17 JDK and Maven come from Debian (apt-get, as scripts/browser/setup.sh does for
# Chromium) when missing. Prints the jar's path last; test/hawkbit/support/hawkbit.ts finds the
# newest one by the same name. Nothing here is committed (.cache is git-ignored).
# /work/shared/reference/hawkbit.md §2 (why 0.3.0M7, release 11, the settings mirror).
set -euo pipefail
cd "$(dirname "$0")/../.."
app=fleet/hawkbit-server
out=.cache/hawkbit

if ! command -v java >/dev/null || ! command -v javac >/dev/null || ! command -v mvn >/dev/null; then
  if ! command -v apt-get >/dev/null; then
    echo "no java, javac or mvn and no apt-get to install them: install a Java 17 JDK and Maven 3" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing Debian's openjdk-17-jdk-headless (javac compiles the server's main class) and maven with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi

# Only sources count: a stale build directory must not change the hash.
hash=$(cd "$app" && find pom.xml settings.xml src -type f -print0 | LC_ALL=C sort -z |
  xargs -0 sha256sum | sha256sum | cut -c1-16)
jar="$out/hawkbit-server-$hash.jar"
if [ -f "$jar" ]; then
  echo "hawkBit server up to date: $jar"
  exit 0
fi

mkdir -p "$out"
echo "building the test-rig hawkBit server with Maven (first time ≈ 1 min and ≈ 100 MiB of downloads)"
started=$(date +%s)
(cd "$app" && mvn -B -q -Dstyle.color=never -s settings.xml -Dmaven.repo.local="$PWD/../../.cache/m2" package)
# Write under a temporary name first, so an interrupted copy never looks like a finished jar.
cp "$out/build/hawkbit-server.jar" "$jar.partial"
mv "$jar.partial" "$jar"
# Keep only the current jar: each one is ≈ 50 MB.
find "$out" -maxdepth 1 -name 'hawkbit-server-*.jar' ! -name "$(basename "$jar")" -delete
echo "built $jar in $(($(date +%s) - started)) s"
