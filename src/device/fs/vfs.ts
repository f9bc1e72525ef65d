/**
 * The mount table and path dispatch of Zephyr v3.5.0's subsys/fs/fs.c: absolute paths, the
 * longest mount point that is a whole-component prefix wins (fs_get_mnt_point), a path under no
 * mount point is -ENOENT, rename across mounts is -EINVAL, and '/' lists the mount points.
 */
import {
  type DirEntry,
  type FileHandle,
  type FileSystemApi,
  FsError,
  type MountedFs,
  type StatVfs,
} from './fs-api.ts';

interface Mount {
  point: string;
  fs: MountedFs;
}

export class Vfs implements FileSystemApi {
  private readonly table: Mount[] = [];

  /** Add a mount (fs_mount): the point is absolute, not '/', and not already in use. */
  mount(point: string, fs: MountedFs): void {
    if (point.length <= 1 || !point.startsWith('/') || point.endsWith('/')) {
      throw new FsError('EINVAL', `mount point '${point}' must be an absolute path like /lfs1`);
    }
    if (this.table.some((m) => m.point === point)) throw new FsError('EBUSY', `${point} is already mounted`);
    this.table.push({ point, fs });
  }

  /** Remove a mount (fs_unmount); its open files are closed. */
  unmount(point: string): void {
    const i = this.table.findIndex((m) => m.point === point);
    if (i < 0) throw new FsError('EINVAL', `${point} is not mounted`);
    this.table[i]!.fs.unmount();
    this.table.splice(i, 1);
  }

  /** Mount points and their file-system types. */
  mounts(): { point: string; type: string }[] {
    return this.table.map((m) => ({ point: m.point, type: m.fs.type }));
  }

  /** The mount holding `path` and the path inside it (fs_get_mnt_point). */
  private resolve(path: string): { m: Mount; rel: string } {
    if (typeof path !== 'string' || path.length <= 1 || !path.startsWith('/')) {
      throw new FsError('EINVAL', `path '${path}' must be absolute, like /lfs1/file`);
    }
    let best: Mount | undefined;
    for (const m of this.table) {
      const n = m.point.length;
      if (n > path.length || (best && n < best.point.length)) continue;
      if (path.length > n && path[n] !== '/') continue;
      if (path.startsWith(m.point)) best = m;
    }
    if (!best) throw new FsError('ENOENT', `${path}: no file system is mounted there`);
    const rel = path.slice(best.point.length);
    return { m: best, rel: rel === '' ? '/' : rel };
  }

  open(path: string, flags: number): FileHandle {
    const { m, rel } = this.resolve(path);
    return m.fs.open(rel, flags);
  }

  stat(path: string): DirEntry {
    const { m, rel } = this.resolve(path);
    return m.fs.stat(rel);
  }

  unlink(path: string): void {
    const { m, rel } = this.resolve(path);
    m.fs.unlink(rel);
  }

  rename(from: string, to: string): void {
    const a = this.resolve(from);
    const b = this.resolve(to);
    if (a.m !== b.m) throw new FsError('EINVAL', `${from} → ${to}: rename across file systems`);
    a.m.fs.rename(a.rel, b.rel);
  }

  mkdir(path: string): void {
    const { m, rel } = this.resolve(path);
    m.fs.mkdir(rel);
  }

  /** A directory's entries; '/' itself lists the mount points (fs_opendir's virtual root). */
  readdir(path: string): DirEntry[] {
    if (path === '/') {
      return this.table.map((m) => ({ type: 'dir' as const, name: m.point.slice(1), size: 0 }));
    }
    const { m, rel } = this.resolve(path);
    return m.fs.readdir(rel);
  }

  statvfs(path: string): StatVfs {
    const { m } = this.resolve(path);
    return m.fs.statvfs();
  }
}
