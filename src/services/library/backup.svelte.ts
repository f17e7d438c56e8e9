// The Library's backup panel: download the whole store as one file, or restore it from one.
// A restore is checked in full and previewed before anything changes, and the library it
// replaces is kept in memory, one click from coming back, until the tab is closed. One instance
// for the page (not per screen visit), so that copy survives leaving the Library.
import {
  checkBackup, downloadBackup, downloadSafetyCopy, restoreBackup, undoRestore, type RestorePlan, type SafetyCopy,
} from '../library.ts';
import { errorText } from './errors.ts';
import { StatusLine } from '../status-line.svelte.ts';

export class BackupStore {
  #status = new StatusLine();
  /** Work in progress, or the last outcome for a while. */
  get status(): string | null {
    return this.#status.text;
  }
  error = $state<string | null>(null);
  busy = $state(false);
  /** The checked backup waiting for the user's confirmation, with its preview. */
  plan = $state.raw<RestorePlan | null>(null);
  safety = $state.raw<SafetyCopy | null>(null);

  private begin(progress: string | null) {
    this.error = null;
    if (progress) this.#status.hold(progress);
    else this.#status.done(null);
  }

  async backup(): Promise<void> {
    this.begin(null);
    try {
      this.#status.done(`Saved ${await downloadBackup()}.`);
    } catch (e) {
      this.error = `Backup failed: ${errorText(e)}`;
    }
  }

  /** Checks the chosen file in full; a file that fails is refused here, before any question. */
  async choose(file: File | null): Promise<void> {
    this.plan = null;
    this.begin(null);
    if (!file) return;
    this.busy = true;
    this.#status.hold(`Checking ${file.name}…`);
    try {
      this.plan = await checkBackup(file);
      this.#status.done(null);
    } catch (e) {
      this.#status.done(null);
      this.error = `Nothing was changed. ${file.name} cannot be restored: ${errorText(e)}`;
    } finally {
      this.busy = false;
    }
  }

  cancel(): void {
    this.plan = null;
    this.begin(null);
  }

  /** Replaces the library with the previewed backup; true when it did. */
  async restore(): Promise<boolean> {
    const plan = this.plan;
    if (!plan) return false;
    this.begin('Restoring…');
    this.busy = true;
    try {
      this.safety = await restoreBackup(plan);
      this.#status.done(`Restored the library from ${plan.name}.`);
      return true;
    } catch (e) {
      this.#status.done(null);
      this.error = `Nothing was changed. ${errorText(e)}`;
      return false;
    } finally {
      this.plan = null;
      this.busy = false;
    }
  }

  /** Puts back the library the last restore replaced. */
  async undo(): Promise<boolean> {
    const copy = this.safety;
    if (!copy) return false;
    this.begin('Putting the previous library back…');
    this.busy = true;
    try {
      await undoRestore(copy);
      this.safety = null;
      this.#status.done('The library is back as it was before the restore.');
      return true;
    } catch (e) {
      this.#status.done(null);
      this.error = `Could not put the previous library back: ${errorText(e)}. Download the safety copy to keep it.`;
      return false;
    } finally {
      this.busy = false;
    }
  }

  downloadSafety(): void {
    if (this.safety) downloadSafetyCopy(this.safety);
  }
}

export const backups = new BackupStore();
