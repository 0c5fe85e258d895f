// Whether this machine lets a test make a folder read-only even for root: a mount namespace
// (unshare -m) with a read-only bind mount. Tests that need it fail, naming why, without it.
import { execFileSync } from 'node:child_process';

/** Why mount namespaces are not available here, or null. */
export function namespacesUnsupported(): string | null {
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', 'mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp && ! touch /tmp/.assay-ro-check 2>/dev/null'], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
}
