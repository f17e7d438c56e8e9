// The Library's backup panel: download the whole store as one file, or restore it from one.
import { downloadBackup, restoreBackup } from '../library.ts';
import { errorText } from './errors.ts';

export class BackupStore {
  status = $state<string | null>(null);
  error = $state<string | null>(null);
  /** The file chosen for restore, waiting for the user's confirmation. */
  file = $state.raw<File | null>(null);

  async backup(): Promise<void> {
    this.error = null;
    try {
      this.status = `Saved ${await downloadBackup()}.`;
    } catch (e) {
      this.error = `Backup failed: ${errorText(e)}`;
    }
  }

  choose(file: File | null): void {
    this.file = file;
  }

  /** Replaces the library with the chosen file; true when it did. */
  async restore(): Promise<boolean> {
    const file = this.file;
    if (!file) return false;
    this.error = null;
    this.status = 'Restoring…';
    let restored = false;
    try {
      await restoreBackup(file);
      this.status = `Restored the library from ${file.name}.`;
      restored = true;
    } catch (e) {
      this.status = null;
      this.error = `Nothing was changed. ${errorText(e)}`;
    }
    this.file = null;
    return restored;
  }
}
