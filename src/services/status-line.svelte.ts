// A status line that goes away once it has been read: "Saved …", "Renamed …" and the like clear
// themselves after a while, so an old confirmation never sits beside later work as if it were
// about it. Work in progress and failures stay until replaced.

export const STATUS_LINGER_MS = 12_000;

export class StatusLine {
  text = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly lingerMs = STATUS_LINGER_MS) {}

  /** Shows a finished outcome for a while (null clears it now). */
  done(text: string | null): void {
    this.#set(text);
    if (text !== null) this.#timer = setTimeout(() => (this.text = null), this.lingerMs);
  }

  /** Shows work in progress, or a failure, until the next line replaces it. */
  hold(text: string): void {
    this.#set(text);
  }

  #set(text: string | null): void {
    clearTimeout(this.#timer);
    this.text = text;
  }
}
