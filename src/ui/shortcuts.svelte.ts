// Keyboard shortcuts. The shell owns global ones (navigation, theme, help); a screen registers
// its own actions while it is shown. Single keys never fire while typing in a field.
export interface Shortcut {
  key: string;
  /** What the help overlay says it does. */
  label: string;
  run: () => void;
}

const screenShortcuts = $state<{ list: Shortcut[] }>({ list: [] });

export function screenActions(): Shortcut[] {
  return screenShortcuts.list;
}

/** Registers a screen's shortcuts; call from the screen's $effect and return the result. */
export function useShortcuts(list: Shortcut[]): () => void {
  screenShortcuts.list = list;
  return () => {
    if (screenShortcuts.list === list) screenShortcuts.list = [];
  };
}

export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
