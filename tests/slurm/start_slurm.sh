#!/usr/bin/env bash
# Start a one-node SLURM cluster with accounting on this Debian machine, for tests/test_slurm.py.
#
#   sudo bash tests/slurm/start_slurm.sh     # then: sinfo, squeue, sacct, sbatch --wrap "hostname"
#
# Installs slurmctld, slurmd, slurm-client, munge, slurmdbd and mariadb-server with apt-get
# when they are missing; starts MariaDB and slurmdbd (the accounting database real clusters
# keep, and which the SLURM executor plugin queries with sacct for job status); writes
# /etc/slurm/slurm.conf for this host (all its CPUs, memory a little below its own, one
# partition, accounting through slurmdbd); starts munged (as the munge user), slurmctld and
# slurmd, and waits until the node is idle and sacct answers.
# Idempotent: when the partition already answers with accounting on, it changes nothing.
#
# Exit status: 0 = up; 3 = SLURM cannot run here (not root, no apt-get, install failed) and
# the caller should skip; anything else = a real failure (see the daemon logs it prints).
set -euo pipefail

PARTITION=${ATTRPRIOR_TEST_PARTITION:-attrprior}
CONF=/etc/slurm/slurm.conf
LOGDIR=/var/log/slurm
NODE=$(hostname -s)

cannot() { echo "start_slurm.sh: cannot run SLURM here: $*" >&2; exit 3; }

node_ready() {
    command -v sinfo >/dev/null || return 1
    local state
    state=$(timeout 10 sinfo -h -p "$PARTITION" -n "$NODE" -o %T 2>/dev/null) || return 1
    case "$state" in idle* | mixed* | allocated* | completing*) ;; *) return 1 ;; esac
    # Up with accounting: the controller stores jobs through slurmdbd and sacct answers.
    # (Read whole, then matched: grep -q in a pipe under pipefail fails on SIGPIPE.)
    local config
    config=$(timeout 10 scontrol show config 2>/dev/null) || return 1
    grep -q '^AccountingStorageType *= *accounting_storage/slurmdbd' <<<"$config" || return 1
    timeout 10 sacct -n -X -S now >/dev/null 2>&1
}

if node_ready; then
    echo "start_slurm.sh: partition $PARTITION already up on $NODE, with accounting"
    exit 0
fi

[ "$(id -u)" = 0 ] || cannot "not root"
[ -f /etc/debian_version ] || cannot "not Debian (packages and paths are Debian's)"
PACKAGES="slurmctld slurmd slurm-client munge slurmdbd mariadb-server"
if [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/slurmd ] || [ ! -x /usr/sbin/munged ] \
    || [ ! -x /usr/sbin/slurmdbd ] || [ ! -x /usr/sbin/mariadbd ] || ! command -v sbatch >/dev/null; then
    command -v apt-get >/dev/null || cannot "no apt-get to install $PACKAGES"
    # shellcheck disable=SC2086 # one word per package
    { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES; } ||
        cannot "apt-get install $PACKAGES failed"
fi

# munge authenticates every SLURM message; the package creates the munge user and the key.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    if [ ! -s /etc/munge/munge.key ]; then
        install -d -o munge -g munge -m 0700 /etc/munge
        runuser -u munge -- mungekey --create
    fi
    mkdir -p /run/munge
    chown munge:munge /run/munge
    chmod 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
    munge -n | unmunge >/dev/null
fi

# Memory SLURM may hand out: 90 % of the machine's, so slurmd never reports less than this
# (it would drain the node) and the host keeps some for itself.
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p /etc/slurm "$LOGDIR" /var/spool/slurmctld /var/spool/slurmd
chown slurm:slurm "$LOGDIR" /var/spool/slurmctld
cat >"$CONF.new" <<EOF
# Written by tests/slurm/start_slurm.sh: a one-node test cluster with accounting (slurmdbd).
ClusterName=attrprior-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
# Plain process tracking: works in containers without a cgroup hierarchy for SLURM.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux
# Finished jobs stay visible to squeue for 5 minutes (sacct keeps them for good).
MinJobAge=300
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
mv "$CONF.new" "$CONF"

# slurm.conf names slurmdbd; sacctmgr reads it, so the database comes after it.
# The accounting database: MariaDB (root logs in through its Unix socket; no network), a
# database user for slurmdbd, and slurmdbd itself, which slurmctld then reports jobs to.
mkdir -p "$LOGDIR"
if ! mariadb-admin ping >/dev/null 2>&1; then
    install -d -o mysql -g mysql /run/mysqld
    runuser -u mysql -- /usr/sbin/mariadbd --datadir=/var/lib/mysql --skip-networking \
        --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid \
        >>"$LOGDIR/mariadb.log" 2>&1 &
    for _ in $(seq 60); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 0.5; done
    mariadb-admin ping >/dev/null || { tail -n 20 "$LOGDIR/mariadb.log" >&2; exit 1; }
fi
DB_PASSWORD=attrprior-test-only
mariadb -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
mkdir -p /etc/slurm
cat >/etc/slurm/slurmdbd.conf.new <<EOF
# Written by tests/slurm/start_slurm.sh: the test cluster's accounting daemon.
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
PidFile=/run/slurmdbd.pid
LogFile=$LOGDIR/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASSWORD
StorageLoc=slurm_acct_db
EOF
chown slurm:slurm /etc/slurm/slurmdbd.conf.new "$LOGDIR"
chmod 600 /etc/slurm/slurmdbd.conf.new
mv /etc/slurm/slurmdbd.conf.new /etc/slurm/slurmdbd.conf
if ! timeout 10 sacctmgr -n show cluster >/dev/null 2>&1; then
    if [ -s /run/slurmdbd.pid ] && kill -0 "$(cat /run/slurmdbd.pid)" 2>/dev/null; then
        kill "$(cat /run/slurmdbd.pid)"
        sleep 1
    fi
    /usr/sbin/slurmdbd
    for _ in $(seq 60); do timeout 10 sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.5; done
    timeout 10 sacctmgr -n show cluster >/dev/null || { tail -n 20 "$LOGDIR/slurmdbd.log" >&2; exit 1; }
fi
# The cluster, an account and this user in it, as on a real cluster (no limits enforced).
sacctmgr -i add cluster attrprior-test >/dev/null 2>&1 || true
sacctmgr -i add account attrprior Cluster=attrprior-test >/dev/null 2>&1 || true
sacctmgr -i add user "$(id -un)" Account=attrprior DefaultAccount=attrprior >/dev/null 2>&1 || true

# Restart daemons of an earlier, broken start (by their pid files only).
for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        kill "$(cat "$pidfile")"
        sleep 1
    fi
done
/usr/sbin/slurmctld
/usr/sbin/slurmd

for _ in $(seq 60); do
    node_ready && break
    # A node that came up "down" or "drained" (e.g. after an unclean stop) is resumed.
    scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
    sleep 1
done
if ! node_ready; then
    echo "start_slurm.sh: node $NODE did not become idle with accounting" >&2
    sinfo -N -l >&2 || true
    tail -n 20 "$LOGDIR/slurmctld.log" "$LOGDIR/slurmd.log" "$LOGDIR/slurmdbd.log" >&2 || true
    exit 1
fi
sinfo
echo "start_slurm.sh: partition $PARTITION up on $NODE ($(nproc) CPUs, $mem_mb MB), accounting by slurmdbd"
