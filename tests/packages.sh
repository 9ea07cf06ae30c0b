# The Debian packages this repository's scripts need, in one list; sourced by .ci/run,
# tests/run and image/build (bash). `apt_install` installs the ones given.

# The image is built from Debian's mirror with these; the image tests read it with mtools and
# debugfs, check the units with systemd-analyze and boot it in qemu.
IMAGE_PACKAGES=(mmdebstrap genimage qemu-user-static qemu-system-arm binfmt-support arch-test
    mtools dosfstools e2fsprogs xz-utils fdisk systemd file)
# The black-box tests drive Debian's Chromium with its driver (certutil gives it a test CA);
# the reachability tests run Pebble (ACME), coturn (TURN) and NAT routers (nftables) in
# network namespaces; testssl.sh scans the station's and the hub's TLS; the update tests strip
# the debug binary (binutils) to sign it as a bundle; the highly available hub's tests run a
# throwaway PostgreSQL cluster (postgresql).
TEST_PACKAGES=(chromium chromium-driver libnss3-tools pebble coturn nftables testssl.sh binutils postgresql)
# bench/relay drives HTTPS load with wrk and compares the hub's relay with nginx's stream
# module (ssl_preread); bench/compare sets wrk on the station beside nginx, and the bridge's
# calls beside Janus's VideoCall plugin.
BENCH_PACKAGES=(wrk sqlite3 nginx-light libnginx-mod-stream janus)
# npm installs axe-core. Machines that already have Node.js from NodeSource carry their own npm,
# and Debian's npm conflicts with that nodejs ("held broken packages"), so only ask for it when
# no npm is there at all.
npm_install_if_missing() {
    command -v npm >/dev/null || apt_install npm
}

apt_install() {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
